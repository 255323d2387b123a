#include "fma/tracks.h"

#include "fma/csv_reader.h"
#include "fma/field_parse.h"
#include "fma/python_list.h"

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <unordered_set>

namespace genre::fma {

Subset parse_subset(const std::string& name) {
  if (name == "small") return Subset::Small;
  if (name == "medium") return Subset::Medium;
  if (name == "large") return Subset::Large;
  if (name == "full") return Subset::Full;
  throw std::invalid_argument("unknown FMA subset \"" + name + "\" (small, medium, large or full)");
}

const char* subset_name(Subset s) {
  switch (s) {
    case Subset::Small: return "small";
    case Subset::Medium: return "medium";
    case Subset::Large: return "large";
    case Subset::Full: return "full";
  }
  return "?";
}

bool track_in_subset(const Track& t, Subset chosen) {
  int rank = 3;  // unknown or empty subset: only in full
  if (t.subset == "small") rank = 0;
  else if (t.subset == "medium") rank = 1;
  else if (t.subset == "large") rank = 2;
  int limit = chosen == Subset::Small ? 0 : chosen == Subset::Medium ? 1 : chosen == Subset::Large ? 2 : 3;
  return rank <= limit;
}

namespace {

std::vector<int> parse_list_field(const std::string& text, const std::string& where, const char* column) {
  try {
    return parse_int_list(text);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(where + ": " + column + ": " + e.what());
  }
}

}  // namespace

std::vector<Track> parse_tracks_csv(std::istream& in, const std::string& origin) {
  CsvReader reader(in, origin);
  std::vector<std::string> groups, fields, third;
  if (!reader.next(groups) || !reader.next(fields) || !reader.next(third))
    throw std::runtime_error(origin + ": fewer than the three header rows of FMA's tracks.csv");
  if (groups.size() != fields.size() || third.empty() || third[0] != "track_id")
    throw std::runtime_error(origin + ": not FMA's tracks.csv layout (row 1 column groups, row 2 field "
                                      "names of the same width, row 3 starting with track_id)");
  auto find = [&](const char* group, const char* field) -> long {
    for (size_t i = 1; i < fields.size(); ++i)
      if (groups[i] == group && fields[i] == field) return static_cast<long>(i);
    return -1;
  };
  const long c_split = find("set", "split"), c_subset = find("set", "subset"),
             c_top = find("track", "genre_top"), c_genres = find("track", "genres"),
             c_all = find("track", "genres_all"), c_title = find("track", "title"),
             c_dur = find("track", "duration"), c_artist = find("artist", "id"), c_album = find("album", "id");
  if (c_genres < 0) throw std::runtime_error(origin + ": header has no track/genres column");
  const size_t width = fields.size();
  auto get = [](const std::vector<std::string>& row, long c) -> std::string {
    return c < 0 ? std::string() : row[static_cast<size_t>(c)];
  };

  std::vector<Track> tracks;
  std::unordered_set<int> seen;
  std::vector<std::string> row;
  while (reader.next(row)) {
    if (row.size() == 1 && row[0].empty()) continue;  // trailing blank line
    const std::string where = origin + ":" + std::to_string(reader.record_line());
    if (row.size() != width)
      throw std::runtime_error(where + ": " + std::to_string(row.size()) + " fields, the header has " +
                               std::to_string(width) + " (unbalanced quotes?)");
    Track t;
    t.id = parse_int_field(row[0], where, "track_id");
    if (t.id < 0 || t.id > 999999) throw std::runtime_error(where + ": track_id out of range: " + row[0]);
    if (!seen.insert(t.id).second) throw std::runtime_error(where + ": duplicate track_id " + row[0]);
    t.split = get(row, c_split);
    t.subset = get(row, c_subset);
    t.genre_top = get(row, c_top);
    t.genres = parse_list_field(row[static_cast<size_t>(c_genres)], where, "track/genres");
    if (c_all >= 0) t.genres_all = parse_list_field(get(row, c_all), where, "track/genres_all");
    t.title = get(row, c_title);
    t.artist = get(row, c_artist);
    t.album = get(row, c_album);
    if (const std::string d = get(row, c_dur); !d.empty()) t.duration_s = parse_int_field(d, where, "track/duration");
    tracks.push_back(std::move(t));
  }
  return tracks;
}

std::vector<Track> load_tracks_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open for reading");
  return parse_tracks_csv(in, path);
}

std::vector<Track> load_flat_genre_table(const std::string& path) {
  auto rows = read_csv_file(path);
  if (rows.empty()) throw std::runtime_error(path + ": empty");
  const auto& h = rows[0];
  auto col = [&](const char* name) {
    for (size_t i = 0; i < h.size(); ++i)
      if (h[i] == name) return i;
    throw std::runtime_error(path + ": no column \"" + name + "\"");
  };
  const size_t c_subset = col("subset"), c_split = col("split"), c_id = col("track_id"), c_top = col("genre_top"),
               c_genres = col("genres");
  std::vector<Track> out;
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.size() == 1 && row[0].empty()) continue;
    const std::string where = path + " row " + std::to_string(r + 1);
    if (row.size() != h.size()) throw std::runtime_error(where + ": wrong number of fields");
    Track t;
    t.id = parse_int_field(row[c_id], where, "track_id");
    t.subset = row[c_subset];
    t.split = row[c_split];
    t.genre_top = row[c_top];
    t.genres = parse_list_field(row[c_genres], where, "genres");
    out.push_back(std::move(t));
  }
  return out;
}

std::optional<std::string> dataset_split_name(const std::string& fma_split) {
  if (fma_split == "training") return std::string("train");
  if (fma_split == "validation") return std::string("val");
  if (fma_split == "test") return std::string("test");
  return std::nullopt;
}

std::string audio_relative_path(int track_id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%03d/%06d.mp3", track_id / 1000, track_id);
  return buf;
}

}  // namespace genre::fma
