// What genre-classify prints and tags, from hand-made results.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "infer/infer_error.h"
#include "infer/verdict_report.h"

using namespace genre::infer;

namespace {

FileResult rock(bool with_macro = true) {
  FileResult r;
  r.input = "dir/song, live.mp3";
  r.ok = true;
  r.windows = 28;
  r.top = {{0, "Rock", 12, 0.625f}, {1, "Jazz", 4, 0.25f}, {2, "Pop", 10, 0.125f}};
  r.verdict = r.top.front();
  if (with_macro) r.macro = RankedClass{0, "Band", -1, 0.75f};
  return r;
}

}  // namespace

TEST(VerdictReport, TextLine) {
  EXPECT_EQ(format_file(rock(), OutputFormat::Text),
            "dir/song, live.mp3: Rock 62.5% [Band 75.0%]; then Jazz 25.0%, Pop 12.5%");
  FileResult r = rock();
  r.confident = false;
  r.tag_action = "uncertain: left alone";
  EXPECT_EQ(format_file(r, OutputFormat::Text),
            "dir/song, live.mp3: Rock 62.5% [Band 75.0%] (uncertain); then Jazz 25.0%, Pop 12.5%; tag uncertain: left alone");
  r = rock();
  r.tag_action = "written";
  r.tag_new = "Rock";
  r.tag_detail = "MP3, ID3v2.4 TCON";
  EXPECT_NE(format_file(r, OutputFormat::Text).find("tag written: (none) -> Rock (MP3, ID3v2.4 TCON)"),
            std::string::npos);
  FileResult bad;
  bad.input = "x.mp3";
  bad.error = "Could not determine type of stream.";
  EXPECT_EQ(format_file(bad, OutputFormat::Text), "x.mp3: FAILED: Could not determine type of stream.");
}

TEST(VerdictReport, JsonLine) {
  const auto j = nlohmann::json::parse(format_file(rock(), OutputFormat::Json));
  EXPECT_EQ(j["type"], "file");
  EXPECT_EQ(j["file"], "dir/song, live.mp3");
  EXPECT_EQ(j["verdict"], "Rock");
  EXPECT_DOUBLE_EQ(j["score"].get<double>(), 0.625);
  EXPECT_EQ(j["fma_id"], 12);
  EXPECT_EQ(j["macrogenre"], "Band");
  EXPECT_EQ(j["windows"], 28);
  ASSERT_EQ(j["top"].size(), 3u);
  EXPECT_EQ(j["top"][1]["label"], "Jazz");
  EXPECT_FALSE(j.contains("tag"));
  FileResult bad;
  bad.input = "x.mp3";
  bad.error = "gone";
  const auto jb = nlohmann::json::parse(format_file(bad, OutputFormat::Json));
  EXPECT_EQ(jb["error"], "gone");
  EXPECT_FALSE(jb.contains("verdict"));
}

TEST(VerdictReport, CsvRowMatchesTheHeaderAndQuotes) {
  const std::string header = csv_header();
  const std::string row = format_file(rock(), OutputFormat::Csv);
  EXPECT_EQ(row.rfind("\"dir/song, live.mp3\",ok,Rock,0.6250,12,Band,0.7500,true,28,0,", 0), 0u) << row;
  EXPECT_NE(row.find("Rock:0.6250;Jazz:0.2500;Pop:0.1250"), std::string::npos) << row;
  // As many fields as the header once the quoted comma is accounted for.
  EXPECT_EQ(std::count(row.begin(), row.end(), ','), std::count(header.begin(), header.end(), ',') + 1);
}

TEST(VerdictReport, WindowRecords) {
  WindowRecord w;
  w.input = "a.mp3";
  w.start_s = 3.0;
  w.duration_s = 2.995;
  w.window = 3;
  w.top = {{1, "Jazz", 4, 0.5f}};
  w.verdict = {0, "Rock", 12, 0.4f};
  const auto j = nlohmann::json::parse(format_window(w, OutputFormat::Json));
  EXPECT_EQ(j["type"], "window");
  EXPECT_EQ(j["window"], 3);
  EXPECT_EQ(j["verdict"], "Rock");
  EXPECT_EQ(j["top"][0]["label"], "Jazz");
  EXPECT_EQ(format_window(w, OutputFormat::Text), "3.0s window 3: Jazz 50.0%  verdict Rock 40.0%");
}

TEST(VerdictReport, TagGenreFormats) {
  EXPECT_EQ(tag_genre(rock(), GenreFormat::Fine), "Rock");
  EXPECT_EQ(tag_genre(rock(), GenreFormat::Macro), "Band");
  EXPECT_EQ(tag_genre(rock(), GenreFormat::MacroFine), "Band/Rock");
  EXPECT_EQ(tag_genre(rock(false), GenreFormat::MacroFine), "Rock") << "no macrogenres: the verdict";
  EXPECT_EQ(genre_format_from_string("macro/fine"), GenreFormat::MacroFine);
  EXPECT_THROW(genre_format_from_string("upper"), InferError);
  EXPECT_THROW(output_format_from_string("xml"), InferError);
}

// Class names from a bundle and file names are printed escaped: an ESC sequence must not
// reach the terminal and one verdict must stay one line (CSV and JSON quote on their own).
TEST(VerdictReport, TextEscapesControlCharacters) {
  FileResult r = rock();
  r.input = "two\nlines.mp3";
  r.top[0].name = "\x1b[31mRed";
  r.top[1].name = "Ja\rzz";
  r.macro->name = "Ba\x07nd";
  r.verdict = r.top[0];
  const std::string line = format_file(r, OutputFormat::Text);
  EXPECT_EQ(line, "two\\nlines.mp3: \\e[31mRed 62.5% [Ba\\x07nd 75.0%]; then Ja\\rzz 25.0%, Pop 12.5%");
  FileResult bad;
  bad.input = "x\x1b]0;title\x07.mp3";
  bad.error = "bad\nthing";
  EXPECT_EQ(format_file(bad, OutputFormat::Text), "x\\e]0;title\\x07.mp3: FAILED: bad\\nthing");
  WindowRecord w;
  w.top = {{0, "\x1b[2J", 1, 0.5f}};
  w.verdict = {0, "\xc2\x9b" "31m", 1, 0.5f};  // C1 CSI, as UTF-8
  const std::string window = format_window(w, OutputFormat::Text);
  EXPECT_EQ(window.find('\x1b'), std::string::npos) << window;
  EXPECT_NE(window.find("\\e[2J"), std::string::npos) << window;
  EXPECT_NE(window.find("verdict \\u009b31m"), std::string::npos) << window;
  // UTF-8 letters are not controls.
  r = rock();
  r.top[0].name = "Musique électronique";
  r.verdict = r.top[0];
  EXPECT_NE(format_file(r, OutputFormat::Text).find(": Musique électronique 62.5%"), std::string::npos);
}

// crm: the verdict need not be the first of the top-k; the others are listed without it, and
// every format names the decoding.
TEST(VerdictReport, CrmVerdictsSayHowTheyWereMade) {
  FileResult r = rock();
  r.verdict = r.top[2];  // Pop
  r.decoding = Decoding::Crm;
  EXPECT_EQ(format_file(r, OutputFormat::Text),
            "dir/song, live.mp3: Pop 12.5% [Band 75.0%] (crm); then Rock 62.5%, Jazz 25.0%");
  const auto j = nlohmann::json::parse(format_file(r, OutputFormat::Json));
  EXPECT_EQ(j["verdict"], "Pop");
  EXPECT_EQ(j["fma_id"], 10);
  EXPECT_EQ(j["decoding"], "crm");
  EXPECT_EQ(j["top"][0]["label"], "Rock") << "the top-k stays the probability ranking";
  const std::string row = format_file(r, OutputFormat::Csv);
  EXPECT_EQ(row.rfind("\"dir/song, live.mp3\",ok,Pop,0.1250,10,Band,", 0), 0u) << row;
  EXPECT_EQ(row.substr(row.size() - 4), ",crm") << row;
  EXPECT_EQ(tag_genre(r, GenreFormat::MacroFine), "Band/Pop");
  EXPECT_EQ(nlohmann::json::parse(format_file(rock(), OutputFormat::Json))["decoding"], "argmax");
  WindowRecord w;
  w.top = {{0, "Rock", 12, 0.5f}};
  w.verdict = {2, "Pop", 10, 0.25f};
  w.decoding = Decoding::Crm;
  EXPECT_NE(format_window(w, OutputFormat::Text).find("verdict Pop 25.0% (crm)"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(format_window(w, OutputFormat::Json))["decoding"], "crm");
}
