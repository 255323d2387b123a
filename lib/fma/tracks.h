// FMA's tracks.csv (official layout): three header rows, row 1 the column
// group (album, artist, set, track), row 2 the field name, row 3 "track_id"
// alone; then one row per track. Only the columns the converter needs are kept.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace genre::fma {

struct Track {
  int id = 0;
  std::string split;       // set/split: "training", "validation", "test" (may be empty)
  std::string subset;      // set/subset: "small", "medium", "large" (smallest containing one)
  std::string genre_top;   // track/genre_top (may be empty)
  std::vector<int> genres;      // track/genres: the track's own genre ids, in listed order
  std::vector<int> genres_all;  // track/genres_all: genres plus all their ancestors
  std::string title;       // track/title
  int duration_s = -1;     // track/duration (full track length in seconds), -1 when absent
  std::string artist;      // artist/id (empty when the column is absent or empty)
  std::string album;       // album/id (likewise)
};

enum class Subset { Small, Medium, Large, Full };

// "small" | "medium" | "large" | "full"; throws std::invalid_argument otherwise.
Subset parse_subset(const std::string& name);
const char* subset_name(Subset s);
// FMA subsets nest: small ⊂ medium ⊂ large = full (full has untrimmed audio).
// set/subset holds the smallest one a track belongs to.
bool track_in_subset(const Track& t, Subset chosen);

// Parses the official tracks.csv. Throws std::runtime_error naming the file and
// line on a malformed header (no track/genres column), a row with the wrong
// number of fields, a duplicate track id or a genre list that is not a Python
// integer list.
std::vector<Track> load_tracks_csv(const std::string& path);
std::vector<Track> parse_tracks_csv(std::istream& in, const std::string& origin);

// The flat per-track table shipped in ../shared/data/fma
// (subset,split,track_id,genre_top,genres); genres_all is left empty.
std::vector<Track> load_flat_genre_table(const std::string& path);

// "training" -> "train", "validation" -> "val", "test" -> "test"; nullopt otherwise.
std::optional<std::string> dataset_split_name(const std::string& fma_split);

// <audio_dir>/NNN/NNNNNN.mp3 with NNN the first three of the six digits.
std::string audio_relative_path(int track_id);

}  // namespace genre::fma
