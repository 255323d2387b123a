// genre-classify: genre verdicts for audio files, directories and URIs, or for
// a live source, with a model bundle from genre-train. Each input runs through
//   uridecodebin ! audioconvert ! audioresample ! melspec ! specresize ! genreclassify ! fakesink
// (live: a leaky queue before genreclassify, so the source never waits for inference)
// with every melspec/specresize parameter read from the bundle
// (lib/infer/pipeline_plan.h). Files go to parallel workers, one reusable
// pipeline each; --write-tags writes each verdict into the file's own genre
// tag (lib/tags, atomic); --explain DIR draws what drove each verdict
// (explain/explainer.h).
//
// Exit status: 0 every input classified (and tagged), 1 some failed (listed
// on stderr), 2 usage error or unusable model, 3 fatal (a GStreamer element
// missing), 130 interrupted (file mode: SIGINT/SIGTERM; live mode: when the final
// verdict does not follow within 2 s, e.g. a forward pass that does not end).
#include <gst/gst.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "genre_message.h"
#include "infer/classifier.h"
#include "infer/pipeline_plan.h"
#include "infer/verdict_report.h"
#include "tags/genre_tags.h"
#include "text/terminal_text.h"
#include "passive_openmp.h"
#include "pipeline/audio_pads.h"
#include "pipeline/message_text.h"
#include "pipeline/runner.h"
#include "explain/explainer.h"
#include "command_line.h"

namespace fs = std::filesystem;
using genre::GenreMessage;
using genre::infer::FileResult;
using genre::infer::OutputFormat;
using genre::infer::PipelinePlan;
using genre::infer::RankedClass;
using genre::infer::WindowRecord;

namespace {

constexpr int kExitFailed = 1, kExitUsage = 2, kExitFatal = 3, kExitInterrupted = 130;

struct Options {
  std::string model;
  std::vector<std::string> inputs;
  bool windows = false;
  std::string format = "text";
  unsigned jobs = 0;     // 0 = one per core
  unsigned threads = 0;  // 0 = cores / jobs
  unsigned top_k = 5;
  unsigned batch = 4;
  double hop = 0;  // 0 = the bundle's recorded hop, else 1 s
  std::string device = "auto";
  double min_confidence = 0.0;
  double silence_floor = genre::infer::TrackerOptions::kDefaultSilenceFloorDb;
  bool live = false;
  std::string live_uri;             // "" = autoaudiosrc
  std::string source;               // live: a gst-launch source description instead
  std::string smoothing = "ema";
  std::string decode = "argmax";
  double ema_alpha = 0.3;
  bool write_tags = false, dry_run = false, tag_hard_links = false;
  std::string genre_format = "fine";
  bool all_files = false;
  bool progress = false, quiet = false;
  bool print_pipeline = false;
  std::string explain_dir;  // "" = no explanations
};

// Thrown for a broken setup (an element missing): exit 3.
struct FatalError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::atomic<int> g_interrupts{0};

void on_sigint(int) {
  if (g_interrupts.fetch_add(1) >= 1) _exit(kExitInterrupted);  // a second Ctrl-C: leave now
}

// After the first SIGINT/SIGTERM the run gets this long to stop on its own (file mode: the
// files in progress are abandoned; live: EOS, then the final verdict). A forward pass, a
// model's warm-up in a state change or a model load do not stop midway (a model that
// never returns would keep the process alive), so a watchdog thread then ends the process
// with the interrupted status. Tagging is atomic: every file is whole.
constexpr auto kInterruptGrace = std::chrono::seconds(2);

void start_interrupt_watchdog() {
  std::thread([] {
    while (g_interrupts.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::this_thread::sleep_for(kInterruptGrace);
    std::fflush(stdout);
    std::fputs("genre-classify: interrupted (the run did not stop within 2 s of the signal)\n", stderr);
    std::fflush(stderr);
    _exit(kExitInterrupted);
  }).detach();
}

const std::set<std::string> kAudioExtensions = {".mp3", ".ogg", ".oga", ".opus", ".flac", ".wav", ".m4a", ".aac",
                                                ".mp4", ".wma", ".aif", ".aiff", ".ape", ".wv", ".mka", ".webm",
                                                ".mp2", ".au", ".spx"};

// ---- inputs ------------------------------------------------------------------------------

struct Input {
  std::string display;  // as the user knows it
  std::string uri;
  std::string path;     // local file, "" for other URIs
  std::string error;    // set: cannot even be tried
};

bool looks_like_uri(const std::string& s) { return s.find("://") != std::string::npos && gst_uri_is_valid(s.c_str()); }

Input file_input(const std::string& path) {
  Input in{path, "", path, ""};
  GError* error = nullptr;
  gchar* uri = gst_filename_to_uri(path.c_str(), &error);
  if (uri) {
    in.uri = uri;
    g_free(uri);
  } else {
    in.error = error ? error->message : "not a usable file name";
    if (error) g_error_free(error);
  }
  return in;
}

std::vector<Input> expand_inputs(const std::vector<std::string>& args, bool all_files) {
  std::vector<Input> out;
  for (const std::string& arg : args) {
    if (looks_like_uri(arg)) {
      Input in{arg, arg, "", ""};
      if (g_str_has_prefix(arg.c_str(), "file://")) {
        gchar* path = g_filename_from_uri(arg.c_str(), nullptr, nullptr);
        if (path) in.path = path;
        g_free(path);
      }
      out.push_back(in);
      continue;
    }
    std::error_code ec;
    if (!fs::is_directory(arg, ec)) {
      out.push_back(file_input(arg));
      continue;
    }
    std::vector<std::string> found;
    auto it = fs::recursive_directory_iterator(arg, fs::directory_options::skip_permission_denied, ec);
    if (ec) {
      out.push_back({arg, "", arg, "cannot read the directory: " + ec.message()});
      continue;
    }
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) {
        out.push_back({arg, "", arg, "cannot walk the directory: " + ec.message()});
        break;
      }
      const fs::path p = it->path();
      if (p.filename().string().rfind('.', 0) == 0) {  // hidden: no descent, no file
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (it->is_directory(ec)) continue;
      std::string ext = p.extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
      if (all_files || kAudioExtensions.count(ext)) found.push_back(p.string());
    }
    std::sort(found.begin(), found.end());
    for (const std::string& f : found) out.push_back(file_input(f));
  }
  return out;
}

// ---- messages --------------------------------------------------------------------------------

double seconds(GstClockTime t) { return GST_CLOCK_TIME_IS_VALID(t) ? double(t) / GST_SECOND : -1.0; }

WindowRecord window_from(const GenreMessage& m, const std::string& input) {
  WindowRecord w;
  w.input = input;
  w.start_s = seconds(m.times.timestamp);
  w.duration_s = seconds(m.times.duration);
  w.window = m.window;
  w.top = m.top;
  w.macro = m.macro;
  w.verdict = m.verdict;
  w.decoding = m.decoding;
  w.confident = m.confident;
  w.skipped = m.skipped;
  w.silent = m.silent;
  return w;
}

void fill_verdict(FileResult* r, const GenreMessage& m) {
  r->windows = m.windows;
  r->skipped = m.skipped;
  r->silent_windows = m.silent_windows;
  r->ok = !m.silent;
  if (!r->ok) {  // silence is not a genre: no verdict is a failure to classify, not a result
    r->error = "the input is silent: its " + std::to_string(r->silent_windows) +
               " windows have no signal above the silence floor, nothing to classify";
    return;
  }
  r->top = m.top;
  r->verdict = m.verdict;
  r->macro = m.verdict_macro;
  r->decoding = m.decoding;
  r->confident = m.confident;
}

// The `genre` message in `msg` when `classify` posted it.
std::optional<GenreMessage> genre_message(GstMessage* msg, GstElement* classify) {
  if (GST_MESSAGE_TYPE(msg) != GST_MESSAGE_ELEMENT || GST_MESSAGE_SRC(msg) != GST_OBJECT(classify)) return std::nullopt;
  return GenreMessage::parse(gst_message_get_structure(msg));
}

// ---- pipelines -------------------------------------------------------------------------------

GstElement* make(const char* factory, const char* name = nullptr) {
  GstElement* e = gst_element_factory_make(factory, name);
  if (!e)
    throw FatalError(std::string("the GStreamer element '") + factory + "' is missing" +
                     (g_str_has_prefix(factory, "genre") || std::string(factory) == "melspec" ||
                              std::string(factory) == "specresize"
                          ? " (is the gst-genre plugin directory on GST_PLUGIN_PATH?)"
                          : ""));
  return e;
}

// A planned property the element lacks is an error when it can change the model's input (the
// parameter tables decide), else a warning, once.
void set_properties(GstElement* e, const genre::infer::PropertyList& props) {
  const std::string element = gst_plugin_feature_get_name(gst_element_get_factory(e));
  for (const auto& [name, value] : props) {
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(e), name.c_str())) {
      gst_util_set_object_arg(G_OBJECT(e), name.c_str(), value.c_str());
      continue;
    }
    const std::string what = "the model's preprocessing sets " + element + " " + name + "=" + value + ", but this " +
                             element + " has no '" + name + "' property";
    if (genre::infer::may_change_model_input(element, name))
      throw FatalError(what + ": the model would get other images than it was trained on "
                       "(is the gst-genre plugin older than the model?)");
    static std::mutex warned_mutex;
    static std::set<std::string> warned;
    std::lock_guard<std::mutex> lock(warned_mutex);
    if (warned.insert(element + " " + name).second)
      std::fprintf(stderr, "genre-classify: warning: %s; it does not change the model's input, so it is left out\n",
                   what.c_str());
  }
}

// Live: between specresize and genreclassify, so the source never waits for a forward pass; when
// inference falls behind and a second of windows waits, the oldest is dropped (never classified;
// genreclassify counts it in `skipped`). The NNStreamer idiom, printed as is by --print-pipeline.
constexpr const char* kLiveQueue = "queue leaky=downstream max-size-time=1000000000 max-size-buffers=0 max-size-bytes=0";

GstElement* make_live_queue() {
  GError* error = nullptr;
  GstElement* q = gst_parse_launch(kLiveQueue, &error);
  if (!q || error) {
    const std::string why = error ? error->message : "no element";
    if (error) g_error_free(error);
    if (q) gst_object_unref(q);
    throw FatalError("cannot make the live queue (" + std::string(kLiveQueue) + "): " + why);
  }
  return q;
}

// The chain after the source: audioconvert ... genreclassify ! fakesink, in `bin`; returns audioconvert.
// `explainer`, where given, gets probes on melspec's and specresize's output.
GstElement* add_analysis_chain(GstBin* bin, const Options& o, const PipelinePlan& plan, bool live,
                               GstElement** classify, genre::tools::Explainer* explainer = nullptr) {
  GstElement* convert = make("audioconvert");
  GstElement* resample = make("audioresample");
  GstElement* melspec = make("melspec");
  GstElement* specresize = make("specresize");
  GstElement* c = make("genreclassify", "classify");
  GstElement* sink = make("fakesink");
  set_properties(melspec, plan.melspec);
  set_properties(specresize, plan.specresize);
  g_object_set(c, "model", o.model.c_str(), "threads", o.threads, "top-k", o.top_k, "min-confidence",
               o.min_confidence, "emit-tags", FALSE, "batch", live ? 1u : o.batch, nullptr);
  gst_util_set_object_arg(G_OBJECT(c), "device", o.device.c_str());
  gst_util_set_object_arg(G_OBJECT(c), "smoothing", o.smoothing.c_str());
  gst_util_set_object_arg(G_OBJECT(c), "decoding", o.decode.c_str());
  g_object_set(c, "ema-alpha", o.ema_alpha, "silence-floor", o.silence_floor, nullptr);
  g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
  GstElement* before_classify = specresize;
  gst_bin_add_many(bin, convert, resample, melspec, specresize, c, sink, nullptr);
  if (live) {
    before_classify = make_live_queue();
    gst_bin_add(bin, before_classify);
    if (!gst_element_link(specresize, before_classify))
      throw FatalError("cannot link specresize ! queue");
  }
  if (!gst_element_link_many(convert, resample, melspec, specresize, nullptr) ||
      !gst_element_link_many(before_classify, c, sink, nullptr))
    throw FatalError("cannot link audioconvert ! audioresample ! melspec ! specresize ! genreclassify");
  if (explainer) explainer->attach(melspec, specresize);
  *classify = c;
  return convert;
}

GstElement* add_uri_source(GstBin* bin, GstElement* convert, const std::string& uri) {
  GstElement* src = make("uridecodebin", "source");
  GstCaps* audio = gst_caps_from_string("audio/x-raw");
  g_object_set(src, "caps", audio, nullptr);
  gst_caps_unref(audio);
  if (!uri.empty()) g_object_set(src, "uri", uri.c_str(), nullptr);
  genre::tools::link_audio_pads(src, convert);
  gst_bin_add(bin, src);
  return src;
}

// One pipeline for many files, reused through READY; rebuilt after an error.
class FilePipeline {
 public:
  FilePipeline(const Options& o, const PipelinePlan& plan, genre::tools::Explainer* explainer)
      : explainer_(explainer), runner_("genre-classify", [this, &o, &plan](GstBin* pipeline) {
          GstElement* convert = add_analysis_chain(pipeline, o, plan, false, &classify_, explainer_);
          source_ = add_uri_source(pipeline, convert, "");
        }) {}

  using WindowSink = std::function<void(const WindowRecord&)>;

  FileResult run(const Input& in, const WindowSink& on_window) {
    FileResult r;
    r.input = in.display;
    if (!in.error.empty()) {
      r.error = in.error;
      return r;
    }
    runner_.pipeline();  // builds source_ and classify_ when there is no pipeline
    if (explainer_) explainer_->reset();
    g_object_set(source_, "uri", in.uri.c_str(), nullptr);
    bool have_final = false;
    genre::tools::RunOptions run;
    run.also = GST_MESSAGE_ELEMENT;
    run.max_debug = 0;  // the element's message: the debug text names GStreamer's source lines
    run.stop = [] { return g_interrupts.load() > 0; };
    run.on_message = [&](GstMessage* msg) {
      const std::optional<GenreMessage> m = genre_message(msg, classify_);
      if (!m) return false;
      if (m->final) {
        fill_verdict(&r, *m);
        have_final = true;
      } else if (on_window) {
        on_window(window_from(*m, in.display));
      }
      return false;
    };
    const genre::tools::RunEnd end = runner_.run(run);
    if (!end.ok()) {
      r.ok = false;
      r.error = end.kind == genre::tools::RunEnd::Kind::kStopped ? "interrupted" : end.error;
      runner_.discard();  // a fresh pipeline for the next file
      return r;
    }
    if (!runner_.reset()) runner_.discard();
    if (!have_final) {
      r.ok = false;
      r.error = "no audio to classify (the file decoded to nothing)";
    }
    return r;
  }

 private:
  // Owned by the runner's pipeline; set by each build.
  GstElement* source_ = nullptr;
  GstElement* classify_ = nullptr;
  genre::tools::Explainer* explainer_;  // null without --explain
  // Last: destroyed first, so the pipeline's threads stop before what they use goes.
  genre::tools::PipelineRunner runner_;
};

// ---- output --------------------------------------------------------------------------------

class Output {
 public:
  Output(OutputFormat format, bool progress, size_t total) : format_(format), progress_(progress), total_(total) {}

  void header() {
    if (format_ == OutputFormat::Csv) line(genre::infer::csv_header());
  }
  void window(const WindowRecord& w) { line(genre::infer::format_window(w, OutputFormat::Json)); }
  void file(const FileResult& r, bool failed) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++done_;
    if (failed) ++failed_;
    print_locked(genre::infer::format_file(r, format_));
  }
  void line(const std::string& text) {
    std::lock_guard<std::mutex> lock(mutex_);
    print_locked(text);
  }
  void draw_progress() {
    std::lock_guard<std::mutex> lock(mutex_);
    draw_locked();
  }
  void end_progress() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (progress_) std::fputs("\r\033[K", stderr);
    progress_ = false;
  }

 private:
  void print_locked(const std::string& text) {
    if (progress_) std::fputs("\r\033[K", stderr);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    draw_locked();
  }
  void draw_locked() {
    if (!progress_ || total_ == 0) return;
    constexpr int kWidth = 30;
    const int filled = int(kWidth * done_ / total_);
    std::fprintf(stderr, "\r[%s%s] %zu/%zu files%s", std::string(size_t(filled), '#').c_str(),
                 std::string(size_t(kWidth - filled), '.').c_str(), done_, total_,
                 failed_ ? (", " + std::to_string(failed_) + " failed").c_str() : "");
    std::fflush(stderr);
  }

  std::mutex mutex_;
  OutputFormat format_;
  bool progress_;
  size_t total_, done_ = 0, failed_ = 0;
};

// ---- tagging -----------------------------------------------------------------------------------

// Writes the verdict into the file's genre tag; false when that failed.
bool tag_file(const Options& o, const Input& in, FileResult* r) {
  if (!r->ok) return true;
  if (!r->confident) {
    r->tag_action = "uncertain: left alone";
    return true;
  }
  if (in.path.empty()) {
    r->tag_action = "failed";
    r->tag_detail = "only local files can be tagged";
    return false;
  }
  const std::string genre = genre::infer::tag_genre(*r, genre::infer::genre_format_from_string(o.genre_format));
  try {
    const genre::tags::TagWriteResult w = genre::tags::write_genre(
        in.path, genre, o.dry_run,
        o.tag_hard_links ? genre::tags::HardLinks::kWriteInPlace : genre::tags::HardLinks::kRefuse);
    r->tag_old = w.old_genre;
    r->tag_new = w.new_genre;
    r->tag_detail = w.format + ", " + w.field + (w.in_place ? ", in place (hard links)" : "");
    r->tag_fields = w.fields;
    r->tag_action = !w.changed ? "unchanged" : (o.dry_run ? "dry run" : "written");
    return true;
  } catch (const genre::tags::HardLinkError& e) {
    r->tag_action = "failed";
    r->tag_detail = std::string(e.what()) + " (--tag-hard-links writes such files in place)";
    return false;
  } catch (const std::exception& e) {
    r->tag_action = "failed";
    r->tag_detail = e.what();
    return false;
  }
}

// "; tags: 2 written, 1 unchanged, 5 left alone (uncertain), 1 failed": what --write-tags
// did to the classified files, every file counted once.
std::string tag_summary(const std::map<std::string, size_t>& actions, bool dry_run) {
  static const std::pair<const char*, const char*> kOrder[] = {{"written", "written"},
                                                               {"dry run", "would change (dry run)"},
                                                               {"unchanged", "unchanged"},
                                                               {"uncertain: left alone", "left alone (uncertain)"},
                                                               {"failed", "failed"}};
  std::string parts;
  for (const auto& [action, text] : kOrder)
    if (auto it = actions.find(action); it != actions.end() && it->second > 0)
      parts += (parts.empty() ? "" : ", ") + std::to_string(it->second) + " " + text;
  if (parts.empty()) parts = "none written";
  return std::string(dry_run ? "; tags (dry run, nothing written): " : "; tags: ") + parts;
}

// ---- --print-pipeline ----------------------------------------------------------------------------

// A property value as gst-launch-1.0 parses it: bare when it is a plain word, else in
// double quotes (spaces, parentheses, '!' and the like are syntax there).
std::string launch_value(const std::string& v) {
  if (!v.empty() && v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:+-@%~") ==
                        std::string::npos)
    return v;
  std::string out = "\"";
  for (char c : v) out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return out + "\"";
}

// One shell word for the printed line: bare when it holds nothing a shell interprets, else
// in single quotes (gst-launch-1.0 gets it as one argument and keeps its double quotes).
std::string shell_word(const std::string& w) {
  if (!w.empty() &&
      w.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:+-@%=,") == std::string::npos)
    return w;
  std::string out = "'";
  for (char c : w) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// name=value as one shell word.
std::string launch_property(const std::string& name, const std::string& value) {
  return shell_word(name + "=" + launch_value(value));
}

std::string launch_properties(const genre::infer::PropertyList& props) {
  std::string out;
  for (const auto& [name, value] : props) out += " " + launch_property(name, value);
  return out;
}

// The gst-launch-1.0 line genre-classify runs for `source`, for users to adapt.
std::string pipeline_text(const Options& o, const PipelinePlan& plan, const std::string& source) {
  std::string classify = "genreclassify " + launch_property("model", o.model) + " top-k=" + std::to_string(o.top_k);
  if (o.live) classify = std::string(kLiveQueue) + " ! " + classify + " smoothing=" + o.smoothing;
  else if (o.batch > 1) classify += " batch=" + std::to_string(o.batch);
  if (o.min_confidence > 0) classify += " min-confidence=" + genre::infer::property_text(o.min_confidence);
  if (o.decode != "argmax") classify += " decoding=" + o.decode;
  if (o.silence_floor != genre::infer::TrackerOptions::kDefaultSilenceFloorDb)
    classify += " silence-floor=" + genre::infer::property_text(o.silence_floor);
  return "gst-launch-1.0 -m " + source + " ! audioconvert ! audioresample ! melspec" +
         launch_properties(plan.melspec) + " ! specresize" + launch_properties(plan.specresize) + " ! " + classify +
         " ! fakesink sync=false";
}

int print_pipelines(const Options& o, const PipelinePlan& plan) {
  if (o.live) {
    const std::string source = !o.source.empty() ? o.source
                               : o.live_uri.empty() ? std::string("autoaudiosrc")
                               : "uridecodebin " + launch_property("uri", looks_like_uri(o.live_uri)
                                                                                     ? o.live_uri
                                                                                     : file_input(o.live_uri).uri);
    std::puts(pipeline_text(o, plan, source).c_str());
    return 0;
  }
  for (const Input& in : expand_inputs(o.inputs, o.all_files)) {
    const std::string source =
        in.path.empty() ? "uridecodebin " + launch_property("uri", in.uri)
                        : "filesrc " + launch_property("location", in.path) + " ! decodebin";
    std::puts(pipeline_text(o, plan, source).c_str());
  }
  return 0;
}

// ---- --explain ------------------------------------------------------------------------------------

// DIR/<file name>.png per input; a name two inputs share gets "-2", "-3", ... before ".png".
std::vector<std::string> explain_paths(const std::vector<Input>& inputs, const std::string& dir) {
  std::vector<std::string> out;
  std::set<std::string> taken;
  for (const Input& in : inputs) {
    std::string name = fs::path(in.path.empty() ? in.uri : in.path).filename().string();
    if (name.empty() || name == "." || name == "..") name = "input";
    std::string candidate = name + ".png";
    for (int n = 2; !taken.insert(candidate).second; ++n) candidate = name + "-" + std::to_string(n) + ".png";
    out.push_back((fs::path(dir) / candidate).string());
  }
  return out;
}

// ---- modes ---------------------------------------------------------------------------------------

int classify_files(const Options& o, const PipelinePlan& plan, const genre::tools::ExplainOptions& explain) {
  const std::vector<Input> inputs = expand_inputs(o.inputs, o.all_files);
  if (inputs.empty()) {
    std::fprintf(stderr, "genre-classify: no audio files found in the given directories\n");
    return kExitFailed;
  }
  const std::vector<std::string> pngs = o.explain_dir.empty() ? std::vector<std::string>() : explain_paths(inputs, o.explain_dir);
  const OutputFormat format = genre::infer::output_format_from_string(o.format);
  Output out(format, o.progress && !o.quiet, inputs.size());
  out.header();
  std::atomic<size_t> next{0};
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  size_t classified = 0;
  std::map<std::string, size_t> tag_actions;  // FileResult::tag_action -> files
  std::string fatal;
  std::mutex done_mutex;
  std::condition_variable done_cv;
  unsigned running = std::max(1u, std::min<unsigned>(o.jobs, unsigned(inputs.size())));
  const unsigned workers_total = running;

  auto worker = [&]() {
    try {
      std::unique_ptr<genre::tools::Explainer> explainer;  // outlives the pipeline its probes are in
      if (!pngs.empty()) explainer = std::make_unique<genre::tools::Explainer>(explain);
      FilePipeline pipeline(o, plan, explainer.get());
      FilePipeline::WindowSink on_window;
      if (o.windows) on_window = [&out](const WindowRecord& w) { out.window(w); };
      for (size_t i; (i = next.fetch_add(1)) < inputs.size() && g_interrupts.load() == 0;) {
        FileResult r = pipeline.run(inputs[i], on_window);
        if (r.error == "interrupted") break;
        bool failed = !r.ok;
        std::string explain_error;
        if (explainer && r.ok && !r.top.empty()) {
          try {
            explainer->write(pngs[i], fs::path(inputs[i].display).filename().string(), r.top.front());
          } catch (const std::exception& e) {
            explain_error = e.what();
            failed = true;
          }
        }
        if (o.write_tags && r.ok && !tag_file(o, inputs[i], &r)) failed = true;
        out.file(r, failed);
        std::lock_guard<std::mutex> lock(failures_mutex);
        if (r.ok) ++classified;
        if (!r.tag_action.empty()) ++tag_actions[r.tag_action];
        if (failed)
          failures.push_back(inputs[i].display + ": " +
                             (!r.ok                   ? r.error
                              : !explain_error.empty() ? "explanation not written: " + explain_error
                                                       : "tag not written: " + r.tag_detail));
      }
    } catch (const std::exception& e) {  // FatalError, or anything unexpected: stop cleanly
      std::lock_guard<std::mutex> lock(failures_mutex);
      fatal = e.what();
      next.store(inputs.size());
    }
    std::lock_guard<std::mutex> lock(done_mutex);
    --running;
    done_cv.notify_all();
  };
  std::vector<std::thread> threads;
  for (unsigned w = 0; w < workers_total; ++w) threads.emplace_back(worker);
  {
    std::unique_lock<std::mutex> lock(done_mutex);
    while (running > 0) {
      done_cv.wait_for(lock, std::chrono::milliseconds(200));
      out.draw_progress();
    }
  }
  for (std::thread& t : threads) t.join();
  out.end_progress();

  if (!fatal.empty()) {
    std::fprintf(stderr, "genre-classify: %s\n", fatal.c_str());
    return kExitFatal;
  }
  if (g_interrupts.load() > 0) {
    std::fprintf(stderr, "genre-classify: interrupted\n");
    return kExitInterrupted;
  }
  if (!o.quiet || !failures.empty())
    std::fprintf(stderr, "genre-classify: %zu of %zu files classified%s%s\n", classified, inputs.size(),
                 o.write_tags ? tag_summary(tag_actions, o.dry_run).c_str() : "",
                 failures.empty() ? "" : (", " + std::to_string(failures.size()) + " failed:").c_str());
  std::sort(failures.begin(), failures.end());
  for (const std::string& f : failures) std::fprintf(stderr, "  %s\n", genre::text::escape_controls(f).c_str());
  return failures.empty() ? 0 : kExitFailed;
}

int classify_live(const Options& o, const PipelinePlan& plan) {
  const OutputFormat format = genre::infer::output_format_from_string(o.format);
  GstElement* pipeline = gst_pipeline_new("genre-classify-live");
  GstElement* classify = nullptr;
  GstElement* convert = add_analysis_chain(GST_BIN(pipeline), o, plan, true, &classify);
  std::string display;
  if (!o.source.empty()) {
    GError* error = nullptr;
    // Ghost only the bin's free source pad: ghosting every unlinked pad would also ghost a
    // sink pad still waiting for a delayed link (`decodebin ! audioconvert`), which then
    // fails with not-linked.
    GstElement* src = gst_parse_bin_from_description(o.source.c_str(), FALSE, &error);
    if (src && !error) {
      GstPad* free_src = gst_bin_find_unlinked_pad(GST_BIN(src), GST_PAD_SRC);
      if (free_src) {
        gst_element_add_pad(src, gst_ghost_pad_new("src", free_src));
        gst_object_unref(free_src);
      } else {
        g_set_error(&error, GST_PARSE_ERROR, GST_PARSE_ERROR_LINK, "it has no free source pad to classify");
      }
    }
    if (!src || error) {
      std::fprintf(stderr, "genre-classify: --source: %s\n", error ? error->message : "cannot build it");
      if (error) g_error_free(error);
      if (src) gst_object_unref(src);
      gst_object_unref(pipeline);
      return kExitUsage;
    }
    gst_bin_add(GST_BIN(pipeline), src);
    gst_element_link(src, convert);
    display = o.source;
  } else if (o.live_uri.empty()) {
    GstElement* src = make("autoaudiosrc");
    gst_bin_add(GST_BIN(pipeline), src);
    gst_element_link(src, convert);
    display = "autoaudiosrc";
  } else {
    const std::string uri = looks_like_uri(o.live_uri) ? o.live_uri : file_input(o.live_uri).uri;
    add_uri_source(GST_BIN(pipeline), convert, uri);
    display = o.live_uri;
  }
  if (format == OutputFormat::Csv) std::puts(genre::infer::csv_header().c_str());
  GstBus* bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  int status = 0;
  bool eos_sent = false, said_silent = false;
  FileResult result;
  result.input = display;
  for (;;) {
    if (g_interrupts.load() > 0 && !eos_sent) {
      gst_element_send_event(pipeline, gst_event_new_eos());  // the final verdict comes with the EOS
      eos_sent = true;
    }
    GstMessage* msg = gst_bus_timed_pop_filtered(bus, 100 * GST_MSECOND,
        GstMessageType(GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_ELEMENT));
    if (!msg) continue;
    const GstMessageType type = GST_MESSAGE_TYPE(msg);
    if (const std::optional<GenreMessage> m = genre_message(msg, classify)) {
      if (m->final) {
        fill_verdict(&result, *m);
      } else {
        if (m->silent && !said_silent) {
          said_silent = true;
          std::fprintf(stderr, "genre-classify: %s: the input is silent (no signal above the silence floor): "
                       "no verdicts while it lasts%s\n", genre::text::escape_controls(display).c_str(),
                       o.source.empty() && o.live_uri.empty()
                           ? " (no capture device? autoaudiosrc may have fallen back to a silent source)"
                           : "");
        }
        const std::string text = genre::infer::format_window(window_from(*m, display),
                                                             format == OutputFormat::Text ? format : OutputFormat::Json);
        std::puts(text.c_str());
        std::fflush(stdout);
      }
    } else if (type == GST_MESSAGE_ERROR) {
      result.error = genre::tools::message_text(msg, 0);
      std::fprintf(stderr, "genre-classify: %s: %s\n", genre::text::escape_controls(display).c_str(),
                   genre::text::escape_controls(result.error).c_str());
      status = kExitFailed;
    }
    gst_message_unref(msg);
    if (type == GST_MESSAGE_ERROR || type == GST_MESSAGE_EOS) break;
  }
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  if (result.ok) {
    std::puts(genre::infer::format_file(result, format).c_str());
  } else if (status == 0 && !result.error.empty()) {
    std::fprintf(stderr, "genre-classify: %s: %s\n", genre::text::escape_controls(display).c_str(),
                 result.error.c_str());
    status = kExitFailed;
  } else if (status == 0) {
    std::fprintf(stderr, "genre-classify: %s: stopped before a single window was classified\n",
                 genre::text::escape_controls(display).c_str());
    status = kExitFailed;
  }
  std::fflush(stdout);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  genre::tools::use_passive_openmp_waiting(argv);
  Options o;
  CLI::App app{"Genre verdicts for audio files, directories, URIs or a live source, with a model bundle "
               "written by genre-train. Every preprocessing parameter comes from the bundle. One verdict per "
               "file: the mean of its windows' probabilities, top-k with scores and the macrogenre.",
               "genre-classify"};
  app.add_option("inputs", o.inputs, "Audio files, directories (walked recursively, audio extensions only "
                 "unless --all-files) and URIs (file://, http://, ...)");
  app.add_option("-m,--model", o.model, "Model bundle (model.pt) written by genre-train")->required();
  app.add_flag("--windows", o.windows, "Also print one JSON line per window as it is classified");
  app.add_option("--format", o.format, "Verdict output: text (one line per file), json (one JSON object per "
                 "line) or csv (with a header)")
      ->check(CLI::IsMember({"text", "json", "csv"}))
      ->capture_default_str();
  app.add_option("-j,--jobs", o.jobs, "Files classified in parallel, one pipeline each (default: one per core)")
      ->check(CLI::Range(1u, 256u));
  app.add_option("--threads", o.threads, "LibTorch threads per pipeline (default: cores / jobs)")
      ->check(CLI::Range(1u, 256u));
  app.add_option("-k,--top-k", o.top_k, "Classes listed per verdict")->check(CLI::Range(1u, 1000u))->capture_default_str();
  app.add_option("--batch", o.batch, "Windows per forward pass (file mode)")->check(CLI::Range(1u, 1024u))->capture_default_str();
  app.add_option("--hop", o.hop, "Seconds between window starts, for bundles trained on sliding windows (their "
                 "window length is kept) and in live mode (default: the hop the bundle was evaluated with, else 1)")
      ->check(CLI::Range(0.001, 3600.0));
  app.add_option("--device", o.device, "Where inference runs")->check(CLI::IsMember({"cpu", "cuda", "auto"}))->capture_default_str();
  app.add_option("--min-confidence", o.min_confidence, "A verdict scoring below this is uncertain: marked so, "
                 "and its file's tag is left alone")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--silence-floor", o.silence_floor, "Windows whose loudest mel value is below this (dB, "
                 "genreclassify's silence-floor) are silent: not classified, left out of the verdict; an input with "
                 "only silent windows fails (\"the input is silent\"); -1000 = never")
      ->check(CLI::Range(-1000.0, 0.0))
      ->capture_default_str();
  CLI::Option* live = app.add_option("--live", o.live_uri, "Follow a live source until interrupted (Ctrl-C: EOS, then the final verdict), "
                 "printing verdicts as they come: a URI (e.g. an HTTP stream), or nothing for autoaudiosrc")
      ->expected(0, 1);
  app.add_option("--source", o.source, "With --live: a gst-launch-1.0 source description instead, e.g. "
                 "\"pulsesrc device=...\" or \"audiotestsrc is-live=true\"");
  app.add_option("--decode", o.decode, "How a verdict is made from the probabilities: argmax (the most probable "
                 "genre; the macrogenre apart, the most probable one) or crm (conditional risk minimisation: the "
                 "genre of least expected distance in the bundle's genre tree, and its own macrogenre, so the two "
                 "always agree; single-label bundles only). The top-k list stays the probability ranking")
      ->check(CLI::IsMember({"argmax", "crm"}))
      ->capture_default_str();
  app.add_option("--smoothing", o.smoothing, "Live: how the running verdict follows the windows")
      ->check(CLI::IsMember({"none", "mean", "ema"}))
      ->capture_default_str();
  app.add_option("--ema-alpha", o.ema_alpha, "Live, --smoothing ema: weight of the newest window")
      ->check(CLI::Range(0.001, 1.0))
      ->capture_default_str();
  app.add_flag("--write-tags", o.write_tags, "Write each verdict into every genre field of the file's own tags (MP3 "
               "ID3v2, ID3v1 and APE; Ogg Vorbis/Opus and FLAC Vorbis comments; MP4); atomic, other tags and the "
               "audio untouched. A file with other hard links is refused (replacing it would leave the other names "
               "with the old file): see --tag-hard-links");
  app.add_flag("--tag-hard-links", o.tag_hard_links, "With --write-tags: write files that have other hard links in "
               "place, so every name sees the new tag (not atomic: a crash mid-write can leave the file partly "
               "written, its tagged copy kept beside it as .NAME.genre-tags-XXXXXX.in-place)");
  app.add_flag("--dry-run", o.dry_run, "With --write-tags: say what would be written, write nothing");
  app.add_option("--genre-format", o.genre_format, "What --write-tags writes: the fine genre, the macrogenre, or "
                 "\"Macro/Fine\"")
      ->check(CLI::IsMember({"fine", "macro", "macro/fine"}))
      ->capture_default_str();
  app.add_flag("--all-files", o.all_files, "In directories, try every file, not only audio extensions");
  app.add_flag("--progress", o.progress, "Progress bar on stderr (default: when stderr is a terminal)");
  app.add_flag("-q,--quiet", o.quiet, "No progress bar and no summary (failures are still listed)");
  app.add_option("--explain", o.explain_dir, "Write DIR/<file name>.png per classified file: its log-mel spectrogram "
                 "with the gradient saliency of the verdict's score over it (what drove the verdict; "
                 "pipelines/classify.md says how to read it)")
      ->type_name("DIR");
  app.add_flag("--print-pipeline", o.print_pipeline, "Print the gst-launch-1.0 pipeline each input would run "
               "(every parameter from the bundle) instead of running it");
  app.footer("Exit status: 0 all classified, 1 some inputs failed (listed on stderr), 2 usage error or unusable "
             "model, 3 a GStreamer element is missing, 130 interrupted (SIGINT or SIGTERM; at the latest 2 s later, even "
             "mid forward pass; --live: when the final verdict does not follow within 2 s).");
  const int status = genre::tools::parse_command_line(app, argc, argv, [&] {
    o.live = live->count() > 0;
    if (!o.live && o.inputs.empty()) throw CLI::ValidationError("inputs", "give files, directories or URIs, or --live");
    if (o.live && !o.inputs.empty()) throw CLI::ValidationError("--live", "takes no other inputs");
    if (!o.source.empty() && !o.live) throw CLI::ValidationError("--source", "needs --live");
    if (o.dry_run && !o.write_tags) throw CLI::ValidationError("--dry-run", "needs --write-tags");
    if (o.tag_hard_links && !o.write_tags) throw CLI::ValidationError("--tag-hard-links", "needs --write-tags");
    if (o.write_tags && o.live) throw CLI::ValidationError("--write-tags", "does not apply to --live");
    if (!o.explain_dir.empty() && o.live) throw CLI::ValidationError("--explain", "does not apply to --live");
  });
  if (status >= 0) return status;

  gst_init(&argc, &argv);
  std::signal(SIGINT, on_sigint);  // from here on: loading a model can take a while too
  std::signal(SIGTERM, on_sigint);
  start_interrupt_watchdog();
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  if (o.jobs == 0) o.jobs = cores;
  if (o.threads == 0) o.threads = std::max(1u, cores / (o.live ? 1u : o.jobs));
  if (!o.progress) o.progress = isatty(STDERR_FILENO) && !o.live;

  PipelinePlan plan;
  genre::tools::ExplainOptions explain;
  try {
    genre::infer::ClassifierOptions co;
    co.model_path = o.model;
    co.device = genre::infer::device_from_string(o.device);
    co.optimization = genre::infer::Optimization::None;
    co.warmup_batch = 0;  // only the description is needed here; the pipelines load their own
    genre::infer::Classifier model(co);
    genre::infer::PlanOptions po;
    const double bundle_hop = model.description().inference_hop_seconds;
    po.hop_seconds = o.hop > 0 ? o.hop : bundle_hop > 0 ? bundle_hop : 1.0;
    po.live = o.live;
    plan = genre::infer::plan_pipeline(model.description().preprocessing, po);
    genre::infer::check_decoding(model.description(), *genre::infer::decoding_from_string(o.decode));
    if (!o.explain_dir.empty()) {
      explain.model = o.model;
      explain.preprocessing = model.description().preprocessing;
      for (const auto& c : model.description().target_classes()) explain.classes.push_back(c.name);
      explain.frame_seconds = plan.frame_seconds;
      explain.silence_floor = o.silence_floor;
      explain.threads = int(o.threads);
      genre::tools::Explainer check(explain);  // unusable preprocessing: a usage error now, not per file
      std::error_code ec;
      fs::create_directories(o.explain_dir, ec);
      if (ec || !fs::is_directory(o.explain_dir))
        throw std::runtime_error("--explain " + o.explain_dir + ": cannot create the directory" +
                                 (ec ? ": " + ec.message() : std::string()));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "genre-classify: %s\n", genre::text::escape_controls(e.what()).c_str());
    return kExitUsage;
  }

  if (o.print_pipeline) return print_pipelines(o, plan);
  if (g_interrupts.load() > 0) {
    std::fprintf(stderr, "genre-classify: interrupted\n");
    return kExitInterrupted;
  }
  try {
    return o.live ? classify_live(o, plan) : classify_files(o, plan, explain);
  } catch (const FatalError& e) {
    std::fprintf(stderr, "genre-classify: %s\n", e.what());
    return kExitFatal;
  }
}
