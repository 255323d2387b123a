#include "infer/verdict_report.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "infer/infer_error.h"
#include "text/terminal_text.h"

namespace genre::infer {

using nlohmann::json;

OutputFormat output_format_from_string(const std::string& text) {
  if (text == "text") return OutputFormat::Text;
  if (text == "json") return OutputFormat::Json;
  if (text == "csv") return OutputFormat::Csv;
  throw InferError("format must be text, json or csv, not '" + text + "'");
}

GenreFormat genre_format_from_string(const std::string& text) {
  if (text == "fine") return GenreFormat::Fine;
  if (text == "macro") return GenreFormat::Macro;
  if (text == "macro/fine") return GenreFormat::MacroFine;
  throw InferError("genre format must be fine, macro or macro/fine, not '" + text + "'");
}

std::string tag_genre(const FileResult& r, GenreFormat format) {
  if (r.top.empty()) return "";
  const std::string& fine = r.verdict.name;
  if (!r.macro || format == GenreFormat::Fine) return fine;
  if (format == GenreFormat::Macro || r.macro->name == fine) return r.macro->name;
  return r.macro->name + "/" + fine;
}

namespace {

std::string percent(float score) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", double(score) * 100.0);
  return buf;
}

std::string score_text(float score) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", double(score));
  return buf;
}

// Six decimals: JSON readers need no more, and the text stays short.
double rounded(double v) { return std::round(v * 1e6) / 1e6; }

json ranked_json(const std::vector<RankedClass>& top) {
  json a = json::array();
  for (const RankedClass& c : top) a.push_back({{"label", c.name}, {"score", rounded(c.score)}, {"fma_id", c.fma_genre_id}});
  return a;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string time_text(double seconds) {
  if (seconds < 0) return "?";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  return buf;
}

// The top-k but the verdict (under crm it need not be the first).
std::string others_text(const std::vector<RankedClass>& top, const RankedClass& verdict) {
  std::string out;
  for (const RankedClass& c : top)
    if (c.name != verdict.name)
      out += (out.empty() ? "" : ", ") + text::escape_controls(c.name) + " " + percent(c.score);
  return out;
}

}  // namespace

std::string csv_header() {
  return "file,status,verdict,score,fma_id,macrogenre,macrogenre_score,confident,windows,skipped,top,tag,error,"
         "decoding";
}

std::string format_file(const FileResult& r, OutputFormat format) {
  const RankedClass* best = r.top.empty() ? nullptr : &r.verdict;
  if (format == OutputFormat::Json) {
    json j = {{"type", "file"}, {"file", r.input}};
    if (!r.ok) {
      j["error"] = r.error;
      return j.dump();
    }
    j["verdict"] = best ? json(best->name) : json(nullptr);
    j["score"] = best ? json(rounded(best->score)) : json(nullptr);
    j["fma_id"] = best ? json(best->fma_genre_id) : json(nullptr);
    j["macrogenre"] = r.macro ? json(r.macro->name) : json(nullptr);
    j["macrogenre_score"] = r.macro ? json(rounded(r.macro->score)) : json(nullptr);
    j["decoding"] = to_string(r.decoding);
    j["confident"] = r.confident;
    j["windows"] = r.windows;
    j["skipped"] = r.skipped;
    j["silent_windows"] = r.silent_windows;
    j["top"] = ranked_json(r.top);
    if (!r.tag_action.empty())
      j["tag"] = {{"action", r.tag_action},
                  {"old", r.tag_old},
                  {"new", r.tag_new},
                  {"detail", r.tag_detail},
                  {"fields", r.tag_fields}};
    return j.dump();
  }
  if (format == OutputFormat::Csv) {
    std::string top;
    for (size_t i = 0; i < r.top.size(); ++i) top += (i ? ";" : "") + r.top[i].name + ":" + score_text(r.top[i].score);
    const std::string tag = r.tag_action.empty() ? "" : r.tag_action + (r.tag_new.empty() ? "" : ": " + r.tag_new);
    return csv_field(r.input) + "," + (r.ok ? "ok" : "failed") + "," + (best ? csv_field(best->name) : "") + "," +
           (best ? score_text(best->score) : "") + "," + (best ? std::to_string(best->fma_genre_id) : "") + "," +
           (r.macro ? csv_field(r.macro->name) : "") + "," + (r.macro ? score_text(r.macro->score) : "") + "," +
           (r.ok ? (r.confident ? "true" : "false") : "") + "," + (r.ok ? std::to_string(r.windows) : "") + "," +
           (r.ok ? std::to_string(r.skipped) : "") + "," + csv_field(top) + "," + csv_field(tag) + "," +
           csv_field(r.error) + "," + (r.ok ? to_string(r.decoding) : "");
  }
  // Text goes to a terminal: names from files and bundles are escaped, one record stays one line.
  using text::escape_controls;
  if (!r.ok) return escape_controls(r.input) + ": FAILED: " + escape_controls(r.error);
  std::string line = escape_controls(r.input) + ": " +
                     (best ? escape_controls(best->name) + " " + percent(best->score) : std::string("(no verdict)"));
  if (r.macro) line += " [" + escape_controls(r.macro->name) + " " + percent(r.macro->score) + "]";
  if (r.decoding != Decoding::Argmax) line += std::string(" (") + to_string(r.decoding) + ")";
  if (!r.confident) line += " (uncertain)";
  const std::string others = best ? others_text(r.top, *best) : "";
  if (!others.empty()) line += "; then " + others;
  if (r.silent_windows > 0) line += "; " + std::to_string(r.silent_windows) + " silent windows left out";
  if (!r.tag_action.empty()) {
    line += "; tag " + r.tag_action;
    if (r.tag_action == "written" || r.tag_action == "dry run")
      line += ": " + (r.tag_old.empty() ? std::string("(none)") : escape_controls(r.tag_old)) + " -> " +
              escape_controls(r.tag_new);
    if (!r.tag_detail.empty()) line += " (" + escape_controls(r.tag_detail) + ")";
  }
  return line;
}

std::string format_window(const WindowRecord& w, OutputFormat format) {
  if (format == OutputFormat::Text && w.silent)
    return time_text(w.start_s) + " window " + std::to_string(w.window) + ": silent (no signal)";
  if (format == OutputFormat::Text) {
    using text::escape_controls;
    std::string line = time_text(w.start_s) + " window " + std::to_string(w.window) + ": " +
                       (w.top.empty() ? std::string("?")
                                      : escape_controls(w.top.front().name) + " " + percent(w.top.front().score));
    if (w.macro) line += " [" + escape_controls(w.macro->name) + "]";
    line += "  verdict " + escape_controls(w.verdict.name) + " " + percent(w.verdict.score) +
            (w.decoding != Decoding::Argmax ? std::string(" (") + to_string(w.decoding) + ")" : "") +
            (w.confident ? "" : " (uncertain)");
    if (w.skipped) line += "  skipped " + std::to_string(w.skipped);
    return line;
  }
  json j = {{"type", "window"},
            {"file", w.input},
            {"start_s", rounded(w.start_s)},
            {"duration_s", rounded(w.duration_s)},
            {"window", w.window},
            {"top", ranked_json(w.top)},
            {"macrogenre", w.macro ? json(w.macro->name) : json(nullptr)},
            {"macrogenre_score", w.macro ? json(rounded(w.macro->score)) : json(nullptr)},
            {"verdict", w.verdict.name},
            {"verdict_score", rounded(w.verdict.score)},
            {"decoding", to_string(w.decoding)},
            {"confident", w.confident},
            {"skipped", w.skipped},
            {"silent", w.silent}};
  return j.dump();
}

}  // namespace genre::infer
