// Parsing FMA's metadata files: CSV quoting, Python list literals, the
// three-row tracks.csv header, genres.csv and the macrogenre tables.
#include "fma/csv_reader.h"
#include "fma/genre_map.h"
#include "fma/genres.h"
#include "fma/macro_map.h"
#include "fma/python_list.h"
#include "fma/tracks.h"
#include "test_paths.h"

#include <gtest/gtest.h>

#include <sstream>

using namespace genre::fma;

namespace {

std::vector<std::vector<std::string>> parse(const std::string& text) {
  std::istringstream in(text);
  CsvReader r(in, "inline.csv");
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  while (r.next(row)) rows.push_back(row);
  return rows;
}

// A tracks.csv in the official layout with awkward titles.
const char* kTracks =
    ",album,set,set,track,track,track,track,track,track\n"
    ",title,split,subset,duration,genre_top,genres,genres_all,title,bit_rate\n"
    "track_id,,,,,,,,,\n"
    "2,AWOL,training,small,168,Hip-Hop,[21],[21],Food,256000\n"
    "3,\"Album, with comma\",validation,medium,237,Hip-Hop,[21],[21],\"Electric Ave, part \"\"2\"\"\",256000\n"
    "5,x,test,small,206,,\"[76, 103]\",\"[10, 12, 76, 103]\",\"line one\nline two, with comma\",256000\r\n"
    "10,y,training,large,161,Pop,[],[],,192000\n";

GenreTable small_genre_table() {
  return GenreTable::from_rows(parse("genre_id,#tracks,parent,title,top_level\n"
                                     "10,1,0,Pop,10\n12,1,0,Rock,12\n21,1,0,Hip-Hop,21\n"
                                     "76,1,10,Experimental Pop,10\n103,1,12,Loud-Rock,12\n"),
                               "genres.csv");
}

}  // namespace

TEST(Csv, QuotedCommasNewlinesAndDoubledQuotes) {
  auto rows = parse("a,\"b,c\",\"d\"\"e\"\n\"multi\nline\",,\"\"\r\nlast,row");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "b,c", "d\"e"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"multi\nline", "", ""}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"last", "row"}));
}

TEST(Csv, UnterminatedQuoteIsAnErrorWithLine) {
  try {
    parse("a,b\nc,\"open\nnever closed");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("inline.csv:2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse("\"x\"y,z\n"), std::runtime_error);
}

TEST(Csv, NulByteIsAnErrorWithLine) {
  for (const std::string& text : {std::string("a,b\nc,d\0e\n", 11), std::string("a,b\n\"c\0\",d\n", 11),
                                 std::string("a,b\n\0\0\0\0", 8)}) {
    try {
      parse(text);
      ADD_FAILURE() << "accepted a NUL byte";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("inline.csv:2: a NUL byte"), std::string::npos) << e.what();
    }
  }
}

TEST(PythonList, ParsesPandasSpelling) {
  EXPECT_EQ(parse_int_list("[21, 811]"), (std::vector<int>{21, 811}));
  EXPECT_EQ(parse_int_list("[]"), std::vector<int>{});
  EXPECT_EQ(parse_int_list(""), std::vector<int>{});
  EXPECT_EQ(parse_int_list(" [ 1,2 ,3, ] "), (std::vector<int>{1, 2, 3}));
  EXPECT_THROW(parse_int_list("[1, a]"), std::invalid_argument);
  EXPECT_THROW(parse_int_list("21"), std::invalid_argument);
  EXPECT_THROW(parse_int_list("[1, 2"), std::invalid_argument);
  EXPECT_THROW(parse_int_list("[1] x"), std::invalid_argument);
  EXPECT_EQ(format_int_list({21, 811}), "[21, 811]");
  EXPECT_EQ(parse_int_list(format_int_list({5, 6, 7})), (std::vector<int>{5, 6, 7}));
}

TEST(TracksCsv, OfficialThreeRowHeaderWithQuotedFields) {
  std::istringstream in(kTracks);
  auto tracks = parse_tracks_csv(in, "tracks.csv");
  ASSERT_EQ(tracks.size(), 4u);
  EXPECT_EQ(tracks[0].id, 2);
  EXPECT_EQ(tracks[0].split, "training");
  EXPECT_EQ(tracks[0].subset, "small");
  EXPECT_EQ(tracks[0].genre_top, "Hip-Hop");
  EXPECT_EQ(tracks[0].duration_s, 168);
  EXPECT_EQ(tracks[1].title, "Electric Ave, part \"2\"");
  EXPECT_EQ(tracks[1].split, "validation");
  EXPECT_EQ(tracks[2].title, "line one\nline two, with comma");
  EXPECT_EQ(tracks[2].genres, (std::vector<int>{76, 103}));
  EXPECT_EQ(tracks[2].genres_all, (std::vector<int>{10, 12, 76, 103}));
  EXPECT_EQ(tracks[2].genre_top, "");
  EXPECT_EQ(tracks[3].id, 10);
  EXPECT_TRUE(tracks[3].genres.empty());
  EXPECT_EQ(tracks[3].subset, "large");
}

TEST(TracksCsv, MalformedFilesFailWithPlace) {
  auto expect_error = [](const std::string& text, const std::string& needle) {
    std::istringstream in(text);
    try {
      parse_tracks_csv(in, "t.csv");
      ADD_FAILURE() << "no error for " << text;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error("track_id,genres\n1,[2]\n", "three header rows");
  expect_error(",track\n,title\ntrack_id,\n1,x\n", "no track/genres");
  expect_error(",track\n,genres\ntrack_id,\n1,[2]\n2,[3],extra\n", "t.csv:5");
  expect_error(",track\n,genres\ntrack_id,\n1,[2\n", "track/genres");
  expect_error(",track\n,genres\ntrack_id,\n1,[2]\n1,[3]\n", "duplicate track_id");
}

TEST(TracksCsv, SubsetsNestAndSplitNames) {
  Track t;
  t.subset = "medium";
  EXPECT_FALSE(track_in_subset(t, Subset::Small));
  EXPECT_TRUE(track_in_subset(t, Subset::Medium));
  EXPECT_TRUE(track_in_subset(t, Subset::Large));
  EXPECT_TRUE(track_in_subset(t, Subset::Full));
  EXPECT_THROW(parse_subset("tiny"), std::invalid_argument);
  EXPECT_EQ(dataset_split_name("training"), "train");
  EXPECT_EQ(dataset_split_name("validation"), "val");
  EXPECT_EQ(dataset_split_name("test"), "test");
  EXPECT_EQ(dataset_split_name(""), std::nullopt);
  EXPECT_EQ(audio_relative_path(2), "000/000002.mp3");
  EXPECT_EQ(audio_relative_path(155066), "155/155066.mp3");
}

TEST(Genres, SmallTableAndMacroMaps) {
  GenreTable g = small_genre_table();
  EXPECT_EQ(g.top_level_of(103), 12);
  EXPECT_EQ(g.top_level_ids(), (std::vector<int>{10, 12, 21}));
  MacroMap top = top_level_macro_map(g);
  EXPECT_EQ(top.names, (std::vector<std::string>{"Pop", "Rock", "Hip-Hop"}));
  EXPECT_EQ(top.genre_to_macro.at(76), 0);
  MacroMap file = parse_macro_csv(parse("macrogenre,fma_genre_id\nLoud,103\nLoud,12\nBeats,21\n"), g, "m.csv");
  EXPECT_EQ(file.names, (std::vector<std::string>{"Loud", "Beats"}));
  EXPECT_EQ(file.genre_to_macro.at(12), 0);
  EXPECT_EQ(file.fma_ids, (std::vector<int>{-1, -1}));
  EXPECT_THROW(parse_macro_csv(parse("macrogenre,fma_genre_id\nX,999\n"), g, "m.csv"), std::runtime_error);
  EXPECT_THROW(parse_macro_csv(parse("macrogenre,fma_genre_id\nX,12\nY,12\n"), g, "m.csv"), std::runtime_error);
  EXPECT_THROW(parse_macro_csv(parse("name,id\nX,12\n"), g, "m.csv"), std::runtime_error);
  EXPECT_THROW(GenreTable::from_rows(parse("genre_id,#tracks,parent,title,top_level\n5,1,9,X,9\n"), "g.csv"),
               std::runtime_error);
}

TEST(Genres, MacroMapFilesNameClassesWithoutIdsAndRoundTrip) {
  GenreTable g = small_genre_table();
  // What genre-train --macro auto writes: ids where a class has one, names where it has none.
  const std::string text = macro_csv_text({{"Rock+Salsa, live", 12, "Rock"},
                                           {"Rock+Salsa, live", -1, "Salsa"},
                                           {"Beats", 21, "Hip-Hop"}});
  EXPECT_EQ(text, "macrogenre,fma_genre_id,fine_class\n\"Rock+Salsa, live\",12,Rock\n\"Rock+Salsa, live\",,Salsa\n"
                  "Beats,21,Hip-Hop\n");
  const MacroMap m = parse_macro_csv(parse(text), g, "auto.csv");
  EXPECT_EQ(m.names, (std::vector<std::string>{"Rock+Salsa, live", "Beats"}));
  EXPECT_EQ(m.macro_of(12, "whatever"), 0);  // the id decides where there is one
  EXPECT_EQ(m.macro_of(-1, "Salsa"), 0);
  EXPECT_EQ(m.macro_of(21, "Hip-Hop"), 1);
  EXPECT_EQ(m.macro_of(-1, "salsa"), -1);  // names match exactly
  EXPECT_EQ(m.macro_of(10, "Pop"), -1);    // not covered: no macrogenre
  // The older two-column form still reads; a row naming neither, or a class twice, is refused.
  EXPECT_EQ(parse_macro_csv(parse("macrogenre,fma_genre_id\nLoud,12\n"), g, "m.csv").macro_of(12, ""), 0);
  EXPECT_THROW(parse_macro_csv(parse("macrogenre,fma_genre_id,fine_class\nX,,\n"), g, "m.csv"), std::runtime_error);
  EXPECT_THROW(parse_macro_csv(parse("macrogenre,fma_genre_id,fine_class\nX,,a\nY,,a\n"), g, "m.csv"),
               std::runtime_error);
  EXPECT_THROW(parse_macro_csv(parse("macrogenre,fma_genre_id\nX,\n"), g, "m.csv"), std::runtime_error);
}

TEST(Genres, RealGenresCsv) {
  GENRE_REQUIRE_SHARED_DATA(shared);
  GenreTable g = GenreTable::load((shared / "fma" / "genres.csv").string());
  EXPECT_EQ(g.all().size(), 163u);
  EXPECT_EQ(g.top_level_ids().size(), 16u);
  for (const auto& [id, genre] : g.all()) EXPECT_EQ(g.top_level_of(id), genre.top_level) << "genre " << id;
  EXPECT_EQ(g.at(811).title, "Hip-Hop Beats");

  MacroMap annex = annex_macro_map(g);
  EXPECT_EQ(annex.names.size(), 12u);
  EXPECT_EQ(annex.genre_to_macro.size(), 76u);
  EXPECT_EQ(annex.names[annex.genre_to_macro.at(14)], "R&B/Soul");
  EXPECT_EQ(annex.names[annex.genre_to_macro.at(2)], "World Music");
  EXPECT_EQ(annex.fma_ids[0], 12);  // "Rock" is also FMA's Rock
  EXPECT_EQ(top_level_macro_map(g).names.size(), 16u);
}

TEST(TracksCsv, ArtistAndAlbumIds) {
  std::istringstream in(
      ",album,artist,track,track\n"
      ",id,id,genres,title\n"
      "track_id,,,,\n"
      "2,1,1,[21],Food\n"
      "3,,7,[21],x\n");
  auto tracks = parse_tracks_csv(in, "tracks.csv");
  ASSERT_EQ(tracks.size(), 2u);
  EXPECT_EQ(tracks[0].artist, "1");
  EXPECT_EQ(tracks[0].album, "1");
  EXPECT_EQ(tracks[1].artist, "7");
  EXPECT_EQ(tracks[1].album, "");
  std::istringstream without(kTracks);  // no artist/id column: empty
  EXPECT_EQ(parse_tracks_csv(without, "tracks.csv")[0].artist, "");
}

TEST(Genres, BuiltInTableIsFmasOfficialOne) {
  const GenreTable g = GenreTable::builtin();
  EXPECT_EQ(g.all().size(), 163u);
  EXPECT_EQ(g.top_level_ids().size(), 16u);
  EXPECT_EQ(g.at(79).title, "Reggae - Dub");
  EXPECT_EQ(g.top_level_of(31), 12);  // Metal -> Rock
}

TEST(GenreMap, ShippedGtzanMapResolvesTheTenGenres) {
  const GenreTable g = GenreTable::builtin();
  const GenreMap m = gtzan_genre_map(g);
  const std::map<std::string, std::string> expected = {
      {"blues", "Blues"}, {"classical", "Classical"}, {"country", "Country"}, {"disco", "Disco"},
      {"hiphop", "Hip-Hop"}, {"jazz", "Jazz"}, {"metal", "Metal"}, {"pop", "Pop"},
      {"reggae", "Reggae - Dub"}, {"rock", "Rock"}};
  ASSERT_EQ(m.fma_id.size(), expected.size());
  for (const auto& [label, title] : expected) EXPECT_EQ(g.at(m.fma_id.at(label)).title, title) << label;
  EXPECT_TRUE(labels_are_gtzan({"blues", "rock"}, g));
  EXPECT_FALSE(labels_are_gtzan({"blues", "Rock"}, g));
  EXPECT_FALSE(labels_are_gtzan({}, g));
  // Top-level gives every GTZAN genre a macrogenre; the annex leaves three without.
  const MacroMap top = top_level_macro_map(g), annex = annex_macro_map(g);
  size_t in_annex = 0;
  for (const auto& [label, id] : m.fma_id) {
    EXPECT_TRUE(top.genre_to_macro.count(id)) << label;
    in_annex += annex.genre_to_macro.count(id);
  }
  EXPECT_EQ(in_annex, 7u);  // not blues, disco, reggae
}

TEST(GenreMap, MalformedMapsNameTheRow) {
  const GenreTable g = GenreTable::builtin();
  auto expect_error = [&](const std::string& text, const std::string& needle) {
    try {
      parse_genre_map(parse(text), g, "map.csv");
      FAIL() << text;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error("label,id\nrock,12\n", "no column \"fma_genre_id\"");
  expect_error("label,fma_genre_id\nrock,99999\n", "map.csv row 2: fma_genre_id 99999");
  expect_error("label,fma_genre_id\nrock,12\nrock,12\n", "row 3: label \"rock\" is listed twice");
  expect_error("label,fma_genre_id\nrock,x\n", "row 2");
  const GenreMap ok = parse_genre_map(parse("# comment, with comma\nlabel,fma_genre_id\nRock,12\n# c\nSalsa,2\n"), g,
                                      "map.csv");
  EXPECT_EQ(ok.fma_id.at("Salsa"), 2);
  EXPECT_EQ(ok.fma_id.size(), 2u);
}
