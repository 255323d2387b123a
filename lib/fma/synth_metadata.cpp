#include "fma/csv_reader.h"
#include "fma/synth_metadata.h"

#include "base/prng.h"
#include "fma/python_list.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

namespace genre::fma {

const std::vector<std::string>& synth_genres_csv_lines() {
  // Copied verbatim from FMA's fma_metadata/genres.csv (CC BY 4.0; sha1
  // d2f3a75be03441d324ef9815d23bad33d149c831): the styles' genres and their ancestors.
  static const std::vector<std::string> lines = {
      "genre_id,#tracks,parent,title,top_level",
      "4,4126,0,Jazz,4",
      "5,4106,0,Classical,5",
      "12,32923,0,Rock,12",
      "15,34413,0,Electronic,15",
      "17,12706,0,Folk,17",
      "21,8389,0,Hip-Hop,21",
      "26,1952,12,Post-Rock,12",
      "38,38154,0,Experimental,38",
      "42,5723,15,Ambient Electronic,15",
      "49,753,17,Free-Folk,17",
      "66,5432,12,Indie-Rock,12",
      "74,1531,4,Free-Jazz,4",
      "236,3472,15,IDM,15",
      "337,500,15,Drum & Bass,15",
      "442,170,5,Chamber Music,5",
      "811,1192,21,Hip-Hop Beats,21",
  };
  return lines;
}

namespace {

std::map<int, int> parents() {
  std::map<int, int> p;
  const auto& lines = synth_genres_csv_lines();
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    const size_t a = l.find(','), b = l.find(',', a + 1), c = l.find(',', b + 1);
    p[std::stoi(l.substr(0, a))] = std::stoi(l.substr(b + 1, c - b - 1));
  }
  return p;
}

int top_of(const std::map<int, int>& par, int g) {
  while (par.at(g) != 0) g = par.at(g);
  return g;
}


const char* kWords[] = {"Night", "River", "Glass", "Motor", "Paper", "Echo", "Static", "Harbor",
                        "Velvet", "Signal", "Hollow", "Ember", "Copper", "Drift", "Atlas", "Lantern"};

std::string words(Xoshiro256& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    if (i) s += ' ';
    s += kWords[rng.bounded(std::size(kWords))];
  }
  return s;
}

}  // namespace

std::vector<SynthTrack> plan_synth_tracks(const SynthPlanOptions& o) {
  if (o.n_tracks < 0 || o.n_tracks > 999999) throw std::invalid_argument("track count out of range");
  const auto& styles = synth_styles();
  const auto par = parents();
  Xoshiro256 rng(mix_seed(o.seed, 0x5EED));
  std::vector<size_t> order;
  std::vector<SynthTrack> out;
  int id = 1;
  for (int i = 0; i < o.n_tracks; ++i) {
    if (order.empty()) {  // a fresh shuffle of all styles: balanced classes
      for (size_t k = 0; k < styles.size(); ++k) order.push_back(k);
      for (size_t k = order.size(); k > 1; --k) std::swap(order[k - 1], order[rng.bounded(k)]);
    }
    const SynthStyle& st = styles[order.back()];
    order.pop_back();
    SynthTrack t;
    id += 1 + static_cast<int>(rng.bounded(250));
    t.id = id;
    t.style = &st;
    t.genres = {st.fma_genre_id};
    if (rng.uniform() < 0.2) {  // a second genre from the same top-level family
      for (const auto& other : styles)
        if (other.fma_genre_id != st.fma_genre_id &&
            top_of(par, other.fma_genre_id) == top_of(par, st.fma_genre_id)) {
          t.genres.push_back(other.fma_genre_id);
          break;
        }
    }
    std::set<int> all;
    for (int g : t.genres)
      for (int x = g; x != 0; x = par.at(x)) all.insert(x);
    t.genres_all.assign(all.begin(), all.end());
    const double u = rng.uniform();
    t.split = u < 0.8 ? "training" : u < 0.9 ? "validation" : "test";
    t.title = words(rng, 2);
    // Realistic awkwardness: commas, quotes and line breaks inside quoted fields.
    if (i % 5 == 1) t.title += ", Pt. " + std::to_string(1 + rng.bounded(3));
    if (i % 7 == 2) t.title = "\"" + t.title + "\" (live)";
    if (i % 11 == 3) t.title += "\n(remastered)";
    t.artist = "The " + words(rng, 1) + "s";
    t.album = words(rng, 1) + ", Vol. " + std::to_string(1 + rng.bounded(4));
    t.duration_s = 120 + static_cast<int>(rng.bounded(240));
    out.push_back(std::move(t));
  }
  // The last `no_genre` tracks lose their genres (metadata gaps exist in FMA).
  for (int k = 0; k < o.no_genre && k < o.n_tracks; ++k) {
    auto& t = out[out.size() - 1 - static_cast<size_t>(k)];
    t.genres.clear();
    t.genres_all.clear();
  }
  return out;
}

void write_synth_tracks_csv(const std::vector<SynthTrack>& tracks, const std::string& path) {
  // The real header of FMA's tracks.csv: 52 columns after track_id.
  static const std::vector<std::pair<const char*, const char*>> cols = {
      {"album", "comments"}, {"album", "date_created"}, {"album", "date_released"}, {"album", "engineer"},
      {"album", "favorites"}, {"album", "id"}, {"album", "information"}, {"album", "listens"},
      {"album", "producer"}, {"album", "tags"}, {"album", "title"}, {"album", "tracks"}, {"album", "type"},
      {"artist", "active_year_begin"}, {"artist", "active_year_end"}, {"artist", "associated_labels"},
      {"artist", "bio"}, {"artist", "comments"}, {"artist", "date_created"}, {"artist", "favorites"},
      {"artist", "id"}, {"artist", "latitude"}, {"artist", "location"}, {"artist", "longitude"},
      {"artist", "members"}, {"artist", "name"}, {"artist", "related_projects"}, {"artist", "tags"},
      {"artist", "website"}, {"artist", "wikipedia_page"}, {"set", "split"}, {"set", "subset"},
      {"track", "bit_rate"}, {"track", "comments"}, {"track", "composer"}, {"track", "date_created"},
      {"track", "date_recorded"}, {"track", "duration"}, {"track", "favorites"}, {"track", "genre_top"},
      {"track", "genres"}, {"track", "genres_all"}, {"track", "information"}, {"track", "interest"},
      {"track", "language_code"}, {"track", "license"}, {"track", "listens"}, {"track", "lyricist"},
      {"track", "number"}, {"track", "publisher"}, {"track", "tags"}, {"track", "title"}};
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error(path + ": cannot open for writing");
  for (const auto& c : cols) out << ',' << c.first;
  out << "\n";
  for (const auto& c : cols) out << ',' << c.second;
  out << "\ntrack_id" << std::string(cols.size(), ',') << "\n";
  const auto par = parents();
  std::map<int, std::string> titles;
  const auto& lines = synth_genres_csv_lines();
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    const size_t a = l.find(','), b = l.find(',', a + 1), c = l.find(',', b + 1), d = l.find(',', c + 1);
    titles[std::stoi(l.substr(0, a))] = l.substr(c + 1, d - c - 1);
  }
  for (const auto& t : tracks) {
    std::set<int> tops;
    for (int g : t.genres) tops.insert(top_of(par, g));
    const std::string genre_top = tops.size() == 1 ? titles.at(*tops.begin()) : "";
    const int album_id = 1000 + t.id / 7, artist_id = 500 + t.id / 13;
    std::map<std::string, std::string> v = {
        {"album/comments", "0"}, {"album/date_created", "2008-11-26 01:44:45"},
        {"album/date_released", "2009-01-05 00:00:00"}, {"album/favorites", "4"},
        {"album/id", std::to_string(album_id)}, {"album/information", "<p></p>"}, {"album/listens", "6073"},
        {"album/tags", "[]"}, {"album/title", t.album}, {"album/tracks", "7"}, {"album/type", "Album"},
        {"artist/bio", "<p>Formed in a garage, they play \"music\",\nmostly.</p>"}, {"artist/comments", "0"},
        {"artist/date_created", "2008-11-26 01:42:32"}, {"artist/favorites", "9"},
        {"artist/id", std::to_string(artist_id)}, {"artist/location", "Brooklyn, NY"},
        {"artist/name", t.artist}, {"artist/tags", "['synthetic']"}, {"set/split", t.split},
        {"set/subset", t.subset}, {"track/bit_rate", "256000"}, {"track/comments", "0"},
        {"track/date_created", "2008-11-26 01:48:12"}, {"track/duration", std::to_string(t.duration_s)},
        {"track/favorites", "2"}, {"track/genre_top", genre_top}, {"track/genres", format_int_list(t.genres)},
        {"track/genres_all", format_int_list(t.genres_all)}, {"track/interest", "4656"},
        {"track/language_code", "en"}, {"track/license", "Attribution-NonCommercial-ShareAlike 3.0 International"},
        {"track/listens", "1293"}, {"track/number", "3"}, {"track/tags", "[]"}, {"track/title", t.title}};
    out << t.id;
    for (const auto& c : cols) {
      auto it = v.find(std::string(c.first) + "/" + c.second);
      out << ',' << (it == v.end() ? std::string() : csv_quote(it->second));
    }
    out << "\n";
  }
  if (!out) throw std::runtime_error(path + ": write error");
}

void write_synth_genres_csv(const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error(path + ": cannot open for writing");
  for (const auto& l : synth_genres_csv_lines()) out << l << "\n";
  if (!out) throw std::runtime_error(path + ": write error");
}

}  // namespace genre::fma
