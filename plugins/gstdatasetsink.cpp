/**
 * SECTION:element-datasetsink
 *
 * Writes every incoming tensor as one training sample into a dataset
 * directory of WebDataset tar shards ("<split>-NNNNNN.tar" + manifest.json),
 * readable by the C++ reader (lib/shard) and by Python's tarfile + numpy.
 * |[
 * gst-launch-1.0 filesrc location=000002.mp3 ! decodebin ! audioconvert ! audioresample ! \
 *     melspec ! specresize ! datasetsink location=ds taxonomy=taxonomy.json label=Hip-Hop
 * ]|
 *
 * Sample shape: the caps dimensions reversed to C order, without N when N=1
 * ("224:224:1:1" -> [1,224,224], melspec's "128:32:1:1" -> [1,32,128]).
 * Sample key: the key property (default: the upstream file name without its
 * last extension, other dots made '_': "Vibe_Ace.hq.ogg" -> "Vibe_Ace_hq"), then "_w<window_index>" from specresize's GenreWindowMeta, none
 * for whole-clip images, and "_w<n>" (n-th buffer of the clip) without meta.
 *
 * A clip (everything up to EOS) is written atomically at EOS: a clip stopped
 * by an error or by going to READY without EOS leaves nothing behind. The open
 * shard survives READY<->PLAYING cycles (a converter reuses one pipeline for
 * many tracks, changing key and labels in READY) and is finalized when full,
 * when split, dtype or the limits change, or at READY->NULL. Keys already in
 * the dataset's finalized shards are skipped, so a resumed conversion writes
 * exactly the missing samples.
 *
 * Labels without a taxonomy: all-digit labels are class indices (no class
 * list); any other label is a name, and names grow the dataset's class list in
 * manifest.json ("class_origin": "names"), shared by every datasetsink in any
 * process writing there: a new name is appended under the dataset's flock
 * before a sample carries its index, and indices never change, so every .cls
 * agrees with the list (the order follows registration timing; use a taxonomy
 * for fixed indices). Names match with whitespace trimmed/collapsed and ASCII
 * case ignored. A dataset is labelled by indices or by names, never both.
 * |[
 * gst-launch-1.0 ... ! specresize ! taginject tags="genre=jazz" ! \
 *     datasetsink location=ds labels-from-tags=true
 * ]|
 */
#include "gstdatasetsink.h"


#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "elements.h"
#include "enum_type.h"
#include "shard/dataset_writer.h"
#include "shard/sample_key.h"
#include "shard/shard_error.h"
#include "taxonomy/taxonomy.h"
#include "structure_json.h"
#include "tensor_caps.h"
#include "window_meta.h"

GST_DEBUG_CATEGORY_STATIC(gst_dataset_sink_debug);
#define GST_CAT_DEFAULT gst_dataset_sink_debug

using genre::shard::DatasetWriter;
using genre::shard::Dtype;
using genre::shard::ShardError;
using nlohmann::json;

namespace {

enum class Split { Train, Val, Test };
const char* split_name(Split s) { return s == Split::Train ? "train" : s == Split::Val ? "val" : "test"; }

constexpr guint kDefaultMaxSamples = 1000;
constexpr guint64 kDefaultMaxBytes = 0;

// Properties, guarded by the object lock; copied at each READY->PAUSED and each clip.
struct Settings {
  std::string location;
  Split split = Split::Train;
  std::string key, label, macro_label, all_labels, taxonomy;
  std::string extra_json;  // a JSON object whose fields join each sample's .json
  Dtype dtype = Dtype::kFloat16;
  guint max_samples = kDefaultMaxSamples;
  guint64 max_bytes = kDefaultMaxBytes;
  bool labels_from_tags = false;
};

// What a clip's samples are labelled and keyed with, resolved at its first buffer.
struct ClipInfo {
  std::string key;
  std::string source;
  int fine = -1;
  int macro = -1;
  json fine_labels = json::array();
  json extra = json::object();  // extra-json, parsed at the clip's first buffer
};

// Streaming state: touched from the streaming thread, and from state changes
// while streaming is stopped.
struct State {
  std::unique_ptr<DatasetWriter> writer;
  Settings writer_settings;  // what the open writer was made with
  std::optional<genre::taxonomy::Taxonomy> taxonomy;
  std::vector<std::uint64_t> shape;     // from the current caps
  std::vector<std::uint64_t> clip_shape;  // of the samples staged for the clip
  std::optional<ClipInfo> clip;
  guint64 clip_buffers = 0;
  guint64 clip_duplicates = 0;  // samples of the clip skipped: key already in the dataset
  std::vector<std::string> tag_genres;
  std::map<std::string, json> params;  // genre/* sticky event structures by name
  std::size_t shards_reported = 0;
};

}  // namespace

struct _GstDatasetSink {
  GstBaseSink parent;
  Settings* settings;
  State* state;
  // Read-only counters, guarded by the object lock.
  guint64 samples_written;
  guint64 duplicates_skipped;
  std::vector<std::string>* finalized_shards;
};

G_DEFINE_TYPE(GstDatasetSink, gst_dataset_sink, GST_TYPE_BASE_SINK)
GST_ELEMENT_REGISTER_DEFINE(datasetsink, "datasetsink", GST_RANK_NONE, GST_TYPE_DATASET_SINK)

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_SPLIT,
  PROP_KEY,
  PROP_LABEL,
  PROP_MACRO_LABEL,
  PROP_ALL_LABELS,
  PROP_DTYPE,
  PROP_MAX_SAMPLES,
  PROP_MAX_BYTES,
  PROP_TAXONOMY,
  PROP_LABELS_FROM_TAGS,
  PROP_EXTRA_JSON,
  PROP_SAMPLES_WRITTEN,
  PROP_DUPLICATES_SKIPPED,
  PROP_FINALIZED_SHARDS,
};

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(genre::kTensorTemplateCaps));

GENRE_DEFINE_ENUM_TYPE(dataset_sink_split_get_type, "GstDatasetSinkSplit",
    {int(Split::Train), "Training split", "train"},
    {int(Split::Val), "Validation split", "val"},
    {int(Split::Test), "Test split", "test"})
GENRE_DEFINE_ENUM_TYPE(dataset_sink_dtype_get_type, "GstDatasetSinkDtype",
    {int(Dtype::kFloat16), "IEEE half precision (round to nearest even; half the disk of float32)", "float16"},
    {int(Dtype::kFloat32), "IEEE single precision, the tensors exactly as received", "float32"})

// ---- helpers -------------------------------------------------------------------------

static Settings snapshot(GstDatasetSink* self) {
  GST_OBJECT_LOCK(self);
  Settings s = *self->settings;
  GST_OBJECT_UNLOCK(self);
  return s;
}

static genre::shard::ClassLists class_lists(const genre::taxonomy::Taxonomy& t) {
  genre::shard::ClassLists c;
  for (const auto& f : t.fine) {
    const int macro = f.index < int(t.fine_to_macro.size()) ? t.fine_to_macro[std::size_t(f.index)] : -1;
    c.fine.push_back({f.index, f.name, f.fma_genre_id, macro});
  }
  for (const auto& m : t.macro) c.macro.push_back({m.index, m.name, m.fma_genre_id, -1});
  return c;
}

// "000123.mp3" -> "000123", "Vibe_Ace.hq.ogg" -> "Vibe_Ace_hq": a usable key
// from the upstream file name (only the last extension goes; inner dots become
// '_', so names that differ before the extension get different keys).
static std::string key_from_uri(const std::string& uri_or_path) {
  std::string base = uri_or_path.substr(uri_or_path.find_last_of('/') + 1);
  const std::size_t dot = base.rfind('.');
  if (dot != std::string::npos && dot > 0) base.resize(dot);
  for (char& c : base)
    if (c == '.' || static_cast<unsigned char>(c) < 0x20 || c == '\\') c = '_';
  if (base.size() > genre::shard::kMaxKeyLength) base.resize(genre::shard::kMaxKeyLength);
  return base;
}

static std::string upstream_source(GstDatasetSink* self) {
  GstQuery* q = gst_query_new_uri();
  std::string out;
  if (gst_pad_peer_query(GST_BASE_SINK_PAD(self), q)) {
    gchar* uri = nullptr;
    gst_query_parse_uri(q, &uri);
    if (uri) {
      gchar* path = g_filename_from_uri(uri, nullptr, nullptr);
      out = path ? path : uri;
      g_free(path);
      g_free(uri);
    }
  }
  gst_query_unref(q);
  return out;
}

static void post_shard_messages(GstDatasetSink* self) {
  State& st = *self->state;
  if (!st.writer) return;
  const auto& done = st.writer->finalized_shards();
  for (; st.shards_reported < done.size(); ++st.shards_reported) {
    const std::string& name = done[st.shards_reported];
    GST_INFO_OBJECT(self, "finalized shard %s", name.c_str());
    GST_OBJECT_LOCK(self);
    self->finalized_shards->push_back(name);
    GST_OBJECT_UNLOCK(self);
    gst_element_post_message(GST_ELEMENT(self),
        gst_message_new_element(GST_OBJECT(self),
            gst_structure_new("genre/dataset-shard-finalized", "name", G_TYPE_STRING, name.c_str(),
                "location", G_TYPE_STRING, st.writer_settings.location.c_str(), nullptr)));
  }
}

static void post_writer_error(GstDatasetSink* self, const ShardError& e, const char* doing) {
  // A quota or a file size limit (RLIMIT_FSIZE, EFBIG) ends the run the way a full disk does.
  const int err = e.error_number();
  if (err == ENOSPC || err == EDQUOT || err == EFBIG) {
    const char* what = err == ENOSPC ? "Disk full" : err == EDQUOT ? "Disk quota exceeded" : "File size limit reached";
    GST_ELEMENT_ERROR(self, RESOURCE, NO_SPACE_LEFT,
        ("%s while %s; finalized shards stay valid, samples of the open shard are lost and "
         "will be rewritten by a resumed run", what, doing), ("%s", e.what()));
  } else if (e.error_number() != 0) {
    GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("Could not write the dataset while %s: %s", doing, e.what()),
        (nullptr));
  } else {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Dataset error while %s: %s", doing, e.what()), (nullptr));
  }
}

static void close_writer(GstDatasetSink* self) {
  State& st = *self->state;
  if (!st.writer) return;
  try {
    st.writer->close();
  } catch (const ShardError& e) {
    post_writer_error(self, e, "finalizing the last shard");
  }
  post_shard_messages(self);
  st.writer.reset();
  st.shards_reported = 0;
}

// Opens (or reuses) the writer for the current settings.
static bool ensure_writer(GstDatasetSink* self) {
  State& st = *self->state;
  const Settings s = snapshot(self);
  if (s.location.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No dataset directory: set the location property"), (nullptr));
    return false;
  }
  // A shard holds one split with one set of limits: other settings finalize it.
  const Settings& w = st.writer_settings;
  if (st.writer && (w.location != s.location || w.taxonomy != s.taxonomy || w.dtype != s.dtype ||
                    w.split != s.split || w.max_samples != s.max_samples || w.max_bytes != s.max_bytes))
    close_writer(self);
  if (!st.writer) {
    st.taxonomy.reset();
    if (!s.taxonomy.empty()) {
      try {
        st.taxonomy = genre::taxonomy::Taxonomy::load_json(s.taxonomy);
      } catch (const std::exception& e) {
        GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ, ("Could not load the taxonomy: %s", e.what()), (nullptr));
        return false;
      }
    }
    genre::shard::WriterOptions o;
    o.dir = s.location;
    o.split = split_name(s.split);
    o.dtype = s.dtype;
    o.max_samples = s.max_samples;
    o.max_bytes = s.max_bytes;
    if (st.taxonomy) o.classes = class_lists(*st.taxonomy);
    try {
      st.writer = std::make_unique<DatasetWriter>(o);
    } catch (const ShardError& e) {
      GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("Could not open dataset %s: %s", s.location.c_str(), e.what()),
          (nullptr));
      return false;
    }
    const auto& stats = st.writer->stats();
    GST_INFO_OBJECT(self, "dataset %s: %zu samples present, %" G_GUINT64_FORMAT " stale partial shards removed, %"
        G_GUINT64_FORMAT " shards re-registered", s.location.c_str(), st.writer->durable_keys().size(),
        stats.stale_partials_removed, stats.shards_recovered);
    st.writer_settings = s;
  }
  try {
    st.writer->set_split(split_name(s.split));  // finalizes the open shard when the split changes
  } catch (const ShardError& e) {
    post_writer_error(self, e, "changing the split");
    return false;
  }
  st.writer->set_limits(s.max_samples, s.max_bytes);
  post_shard_messages(self);
  return true;
}

static std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    const std::size_t a = item.find_first_not_of(" \t"), b = item.find_last_not_of(" \t");
    if (a != std::string::npos) out.push_back(item.substr(a, b - a + 1));
    start = end + 1;
  }
  return out;
}

static json class_json(GstDatasetSink* self, int index, bool macro) {
  State& st = *self->state;
  json j = {{"index", index}};
  const std::string name =
      st.writer ? st.writer->class_name(macro ? genre::shard::ClassLevel::kMacro : genre::shard::ClassLevel::kFine, index)
                : std::string();
  if (!name.empty()) j["name"] = name;
  return j;
}

// Where a clip's label came from: tagged genres are treated differently (unknown ones are
// skipped, blank ones carry nothing), and error messages name the origin.
enum class LabelOrigin { kGenreTag, kLabel, kAllLabels, kMacroLabel };

static const char* origin_text(LabelOrigin origin) {
  switch (origin) {
    case LabelOrigin::kGenreTag:
      return "genre tag";
    case LabelOrigin::kLabel:
      return "label";
    case LabelOrigin::kAllLabels:
      return "all-labels entry";
    case LabelOrigin::kMacroLabel:
      return "macro-label";
  }
  return "label";
}

// One label of a clip as given, and where it came from.
struct LabelText {
  std::string text;
  LabelOrigin origin;
  const char* origin_name() const { return origin_text(origin); }
};

// The clip's fine labels (the label first) and its macro label, as texts.
static bool clip_label_texts(GstDatasetSink* self, const Settings& s, const std::string& key,
                             std::vector<LabelText>* fine, std::optional<LabelText>* macro) {
  State& st = *self->state;
  if (s.labels_from_tags && !st.tag_genres.empty()) {
    for (const std::string& g : st.tag_genres) fine->push_back({g, LabelOrigin::kGenreTag});
  } else if (!s.label.empty()) {
    fine->push_back({s.label, LabelOrigin::kLabel});
  } else {
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS,
        ("No label for key '%s': set the label property%s", key.c_str(),
         s.labels_from_tags ? " (labels-from-tags is on but no GST_TAG_GENRE tag arrived)" : " or labels-from-tags"),
        (nullptr));
    return false;
  }
  for (const std::string& extra : split_list(s.all_labels)) fine->push_back({extra, LabelOrigin::kAllLabels});
  if (!s.macro_label.empty()) *macro = LabelText{s.macro_label, LabelOrigin::kMacroLabel};
  return true;
}

static void add_unique(std::vector<int>* into, int v) {
  if (std::find(into->begin(), into->end(), v) == into->end()) into->push_back(v);
}

// With a taxonomy: names or indices of its classes. Tagged genres it does not
// know are skipped (the first it knows is the label); other unknown labels are errors.
static bool labels_from_taxonomy(GstDatasetSink* self, const std::vector<LabelText>& fine,
                                 const std::optional<LabelText>& macro, std::vector<int>* fine_out, int* macro_out) {
  State& st = *self->state;
  const genre::taxonomy::Taxonomy& t = *st.taxonomy;
  const char* tax = st.writer_settings.taxonomy.c_str();
  std::string unknown_tags;
  bool tag_known = false;
  for (const LabelText& l : fine) {
    const bool tag = l.origin == LabelOrigin::kGenreTag;
    const auto idx = t.fine_index(l.text);
    if (idx) {
      add_unique(fine_out, *idx);
      tag_known = tag_known || tag;
    } else if (tag) {
      unknown_tags += (unknown_tags.empty() ? "" : ", ") + l.text;
    } else {
      GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS,
          ("%s '%s' is not a fine class of taxonomy %s", l.origin_name(), l.text.c_str(), tax), (nullptr));
      return false;
    }
  }
  if (fine.front().origin == LabelOrigin::kGenreTag && !tag_known) {
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS,
        ("None of the genre tags (%s) is a class of %s", unknown_tags.c_str(), tax), (nullptr));
    return false;
  }
  if (macro) {
    const auto idx = t.macro_index(macro->text);
    if (!idx) {
      GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS,
          ("%s '%s' is not a macro class of taxonomy %s", macro->origin_name(), macro->text.c_str(), tax), (nullptr));
      return false;
    }
    *macro_out = *idx;
  } else {
    *macro_out = t.macro_of(fine_out->front());
  }
  return true;
}

// Without a taxonomy a clip's labels are all class indices ("3"), or all
// names ("jazz"), which grow the dataset's class list in manifest.json
// (registered under the dataset lock, so concurrent writers agree; see
// lib/shard/class_names.h). A dataset holds one kind.
static bool labels_without_taxonomy(GstDatasetSink* self, const std::vector<LabelText>& fine,
                                    const std::optional<LabelText>& macro, std::vector<int>* fine_out,
                                    int* macro_out) {
  State& st = *self->state;
  std::vector<LabelText> all;
  for (const LabelText& l : fine) {
    const bool blank = l.text.find_first_not_of(" \t\r\n\v\f") == std::string::npos;
    if (blank && l.origin == LabelOrigin::kGenreTag) continue;  // an empty tag carries no genre
    all.push_back(l);
  }
  if (all.empty()) {
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("The genre tags hold no genre name or class index"), (nullptr));
    return false;
  }
  const std::size_t n_fine = all.size();
  if (macro) all.push_back(*macro);
  const LabelText* an_index = nullptr;
  const LabelText* a_name = nullptr;
  for (const LabelText& l : all) {
    const std::size_t a = l.text.find_first_not_of(" \t"), b = l.text.find_last_not_of(" \t");
    const std::string t = a == std::string::npos ? std::string() : l.text.substr(a, b - a + 1);
    if (!t.empty() && (t[0] == '-' || t[0] == '+') && genre::shard::is_class_index_text(t.substr(1))) {
      GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS,
          ("%s '%s' is not a class index: indices are 0, 1, 2, ...", l.origin_name(), l.text.c_str()), (nullptr));
      return false;
    }
    if (genre::shard::is_class_index_text(l.text)) {
      if (!an_index) an_index = &l;
    } else if (!a_name) {
      a_name = &l;
    }
  }
  if (an_index && a_name) {
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS,
        ("%s '%s' is a class index but %s '%s' is a name: without a taxonomy a clip is labelled with class "
         "indices only or with names only", an_index->origin_name(), an_index->text.c_str(), a_name->origin_name(),
         a_name->text.c_str()), (nullptr));
    return false;
  }
  try {
    if (an_index) {
      st.writer->use_class_indices();
      for (std::size_t i = 0; i < all.size(); ++i) {
        errno = 0;
        const long v = std::strtol(all[i].text.c_str(), nullptr, 10);
        if (errno == ERANGE || v > G_MAXINT) {
          GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS,
              ("%s '%s' is too large for a class index", all[i].origin_name(), all[i].text.c_str()), (nullptr));
          return false;
        }
        if (i < n_fine) add_unique(fine_out, int(v));
        else *macro_out = int(v);
      }
      return true;
    }
    std::vector<std::string> names;
    for (std::size_t i = 0; i < n_fine; ++i) names.push_back(all[i].text);
    for (int idx : st.writer->class_indices_for_names(names, genre::shard::ClassLevel::kFine)) add_unique(fine_out, idx);
    if (macro) *macro_out = st.writer->class_indices_for_names({macro->text}, genre::shard::ClassLevel::kMacro).front();
  } catch (const ShardError& e) {
    if (e.error_number() != 0) {
      post_writer_error(self, e, "registering class names");
    } else {
      GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("Cannot label clip: %s", e.what()), (nullptr));
    }
    return false;
  }
  return true;
}

// Key, source and labels of the clip that starts with this buffer.
static bool begin_clip(GstDatasetSink* self) {
  State& st = *self->state;
  const Settings s = snapshot(self);
  ClipInfo c;
  c.source = upstream_source(self);
  if (!s.key.empty()) {
    c.key = s.key;
  } else if (!c.source.empty()) {
    c.key = key_from_uri(c.source);
  }
  if (c.key.empty()) {
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS,
        ("No sample key: set the key property (upstream reports no file name to derive it from)"), (nullptr));
    return false;
  }
  const std::string problem = genre::shard::key_problem(c.key);
  if (!problem.empty()) {
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("Invalid key property: %s", problem.c_str()), (nullptr));
    return false;
  }
  if (!s.extra_json.empty()) {
    c.extra = json::parse(s.extra_json, nullptr, /*allow_exceptions=*/false);
    if (c.extra.is_discarded() || !c.extra.is_object()) {
      GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("Invalid extra-json property: not a JSON object: %s",
          s.extra_json.c_str()), (nullptr));
      return false;
    }
  }
  std::vector<LabelText> fine_texts;
  std::optional<LabelText> macro_text;
  if (!clip_label_texts(self, s, c.key, &fine_texts, &macro_text)) return false;
  std::vector<int> fine_all;
  int macro = -1;
  if (st.taxonomy ? !labels_from_taxonomy(self, fine_texts, macro_text, &fine_all, &macro)
                  : !labels_without_taxonomy(self, fine_texts, macro_text, &fine_all, &macro))
    return false;
  c.fine = fine_all.front();
  c.macro = macro;
  for (int f : fine_all) c.fine_labels.push_back(class_json(self, f, false));
  st.clip = std::move(c);
  st.clip_buffers = 0;
  st.clip_duplicates = 0;
  st.clip_shape.clear();
  return true;
}

static void drop_clip(GstDatasetSink* self, const char* why) {
  State& st = *self->state;
  if (st.writer && st.writer->staged_count() > 0) {
    GST_INFO_OBJECT(self, "dropping %zu staged samples of clip '%s': %s", st.writer->staged_count(),
        st.clip ? st.clip->key.c_str() : "", why);
    st.writer->discard_staged();
  }
  st.clip.reset();
  st.clip_shape.clear();
}

static bool commit_clip(GstDatasetSink* self) {
  State& st = *self->state;
  bool ok = true;
  if (st.writer) {
    const std::size_t n = st.writer->staged_count();
    try {
      st.writer->commit();
      GST_OBJECT_LOCK(self);
      self->samples_written += n;
      GST_OBJECT_UNLOCK(self);
    } catch (const ShardError& e) {
      post_writer_error(self, e, "writing samples");
      ok = false;
    }
    post_shard_messages(self);
  }
  if (st.clip_duplicates > 0 && st.clip) {
    // Not an error (a resumed conversion rewrites a track's missing windows),
    // but never silent: another file with the same key loses its samples here.
    GST_ELEMENT_WARNING(self, RESOURCE, WRITE,
        ("%" G_GUINT64_FORMAT " sample(s) of clip '%s'%s%s were not written: their keys are already in dataset %s",
         st.clip_duplicates, st.clip->key.c_str(), st.clip->source.empty() ? "" : " from ",
         st.clip->source.c_str(), st.writer_settings.location.c_str()),
        ("a resumed conversion skips what it wrote before; for another file, set the key property to a key "
         "of its own (duplicates-skipped counts every skipped sample)"));
  }
  st.clip_duplicates = 0;
  st.clip.reset();
  st.clip_shape.clear();
  return ok;
}

// ---- GstBaseSink -----------------------------------------------------------------------

static gboolean set_caps(GstBaseSink* sink, GstCaps* caps) {
  GstDatasetSink* self = GST_DATASET_SINK(sink);
  State& st = *self->state;
  genre::TensorInfo info;
  std::string error;
  if (!genre::tensor_caps_parse(caps, &info, &error)) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("datasetsink cannot take these caps: %s", error.c_str()), (nullptr));
    return FALSE;
  }
  // Innermost first -> C order; N (the outermost) is dropped when it is 1.
  std::vector<std::uint64_t> shape;
  for (int i = 3; i >= 0; --i) {
    if (i == 3 && info.dims[3] == 1) continue;
    shape.push_back(info.dims[std::size_t(i)]);
  }
  if (!st.clip_shape.empty() && shape != st.clip_shape) {
    const std::string dims = genre::tensor_dims_to_string(info.dims);
    GST_ELEMENT_ERROR(self, STREAM, FORMAT,
        ("Tensor shape changed to %s in the middle of clip '%s'; one clip's samples share one shape",
         dims.c_str(), st.clip ? st.clip->key.c_str() : ""), (nullptr));
    return FALSE;
  }
  if (st.writer) {
    const std::string problem = st.writer->shape_problem(shape);
    if (!problem.empty()) {
      GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Incompatible tensor shape: %s", problem.c_str()), (nullptr));
      return FALSE;
    }
  }
  st.shape = shape;
  return TRUE;
}

static GstFlowReturn render(GstBaseSink* sink, GstBuffer* buf) {
  GstDatasetSink* self = GST_DATASET_SINK(sink);
  State& st = *self->state;
  if (!st.writer) {  // opened at READY->PAUSED: only a pad activated outside a state change gets here
    GST_ELEMENT_ERROR(self, CORE, STATE_CHANGE,
        ("No dataset is open: datasetsink opens it when it goes from READY to PAUSED"),
        ("a buffer arrived while the element was in %s", gst_element_state_get_name(GST_STATE(self))));
    return GST_FLOW_ERROR;
  }
  if (st.shape.empty()) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Buffer before caps"), (nullptr));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (!st.clip && !begin_clip(self)) return GST_FLOW_ERROR;
  const ClipInfo& clip = *st.clip;
  std::uint64_t count = 1;
  for (auto d : st.shape) count *= d;
  const GenreWindowMeta* wm = gst_buffer_get_genre_window_meta(buf);
  std::string key;
  json window = nullptr;
  if (wm && wm->whole_clip) {
    key = clip.key;
  } else {
    const guint64 index = wm ? wm->window_index : st.clip_buffers;
    key = genre::shard::window_key(clip.key, index);
    window = {{"index", index}};
  }
  if (wm) {
    if (window.is_null()) window = json::object();
    window["whole_clip"] = bool(wm->whole_clip);
    if (GST_CLOCK_TIME_IS_VALID(wm->start)) window["start_s"] = double(wm->start) / GST_SECOND;
    if (GST_CLOCK_TIME_IS_VALID(wm->end)) window["end_s"] = double(wm->end) / GST_SECOND;
    window["window_frames"] = wm->window_frames;
    window["valid_frames"] = wm->valid_frames;
  }
  ++st.clip_buffers;

  GstMapInfo map;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Could not map an input buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  if (map.size != count * sizeof(float)) {
    gst_buffer_unmap(buf, &map);
    GST_ELEMENT_ERROR(self, STREAM, FORMAT,
        ("Buffer of %" G_GSIZE_FORMAT " bytes does not hold one tensor of %" G_GUINT64_FORMAT " floats", map.size,
         count), (nullptr));
    return GST_FLOW_ERROR;
  }
  genre::shard::SampleInput in;
  in.key = key;
  in.shape = st.shape;
  in.data = reinterpret_cast<const float*>(map.data);
  in.fine = clip.fine;
  in.macro = clip.macro;
  in.meta = {{"track_id", clip.key},
             {"source", clip.source.empty() ? json(nullptr) : json(clip.source)},
             {"fine_labels", clip.fine_labels},
             {"fine_class", class_json(self, clip.fine, false)},
             {"macro_class", clip.macro >= 0 ? class_json(self, clip.macro, true) : json(nullptr)},
             {"window", window},
             {"pts_s", GST_BUFFER_PTS_IS_VALID(buf) ? json(double(GST_BUFFER_PTS(buf)) / GST_SECOND) : json(nullptr)}};
  json params = json::object();
  for (const auto& [name, fields] : st.params) params[name] = fields;
  in.meta["params"] = params;
  for (const auto& [name, value] : clip.extra.items())
    if (!in.meta.contains(name)) in.meta[name] = value;  // the sink's own fields win
  GstFlowReturn ret = GST_FLOW_OK;
  try {
    if (st.writer->stage(in) == DatasetWriter::StageResult::kDuplicate) {
      GST_INFO_OBJECT(self, "sample '%s' is already in the dataset: skipped", key.c_str());
      ++st.clip_duplicates;
      GST_OBJECT_LOCK(self);
      ++self->duplicates_skipped;
      GST_OBJECT_UNLOCK(self);
    } else {
      st.clip_shape = st.shape;
    }
  } catch (const ShardError& e) {
    post_writer_error(self, e, "staging a sample");
    ret = GST_FLOW_ERROR;
  }
  gst_buffer_unmap(buf, &map);
  if (ret == GST_FLOW_OK) post_shard_messages(self);  // very long clips commit early
  return ret;
}

static gboolean sink_event(GstBaseSink* sink, GstEvent* event) {
  GstDatasetSink* self = GST_DATASET_SINK(sink);
  State& st = *self->state;
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_EOS:
      if (!commit_clip(self)) {
        gst_event_unref(event);
        return FALSE;
      }
      break;
    case GST_EVENT_STREAM_START:
      // A new stream: the previous clip ended without EOS (e.g. concat): keep its samples.
      if (st.clip && st.writer && st.writer->staged_count() > 0 && !commit_clip(self)) {
        gst_event_unref(event);
        return FALSE;
      }
      st.clip.reset();
      st.tag_genres.clear();
      break;
    case GST_EVENT_FLUSH_STOP:
      drop_clip(self, "flushed");
      break;
    case GST_EVENT_TAG: {
      GstTagList* tags = nullptr;
      gst_event_parse_tag(event, &tags);
      const guint n = tags ? gst_tag_list_get_tag_size(tags, GST_TAG_GENRE) : 0;
      if (n > 0) {
        st.tag_genres.clear();
        for (guint i = 0; i < n; ++i) {
          // taginject tags="genre=3" makes an integer genre: take it as the index it is meant to be.
          const GValue* v = gst_tag_list_get_value_index(tags, GST_TAG_GENRE, i);
          if (v && G_VALUE_HOLDS_STRING(v) && g_value_get_string(v)) {
            st.tag_genres.emplace_back(g_value_get_string(v));
          } else if (v && (G_VALUE_HOLDS_INT(v) || G_VALUE_HOLDS_UINT(v) || G_VALUE_HOLDS_INT64(v) ||
                           G_VALUE_HOLDS_UINT64(v))) {
            GValue text = G_VALUE_INIT;
            g_value_init(&text, G_TYPE_STRING);
            if (g_value_transform(v, &text) && g_value_get_string(&text)) st.tag_genres.emplace_back(g_value_get_string(&text));
            g_value_unset(&text);
          }
        }
      }
      break;
    }
    case GST_EVENT_CUSTOM_DOWNSTREAM_STICKY: {
      const GstStructure* s = gst_event_get_structure(event);
      if (s && g_str_has_prefix(gst_structure_get_name(s), "genre/"))
        st.params[gst_structure_get_name(s)] = genre::structure_to_json(s);
      break;
    }
    default:
      break;
  }
  return GST_BASE_SINK_CLASS(gst_dataset_sink_parent_class)->event(sink, event);
}

// basesink's start/stop run only at NULL<->READY, but a converter reuses one
// pipeline for many tracks through READY: each READY->PAUSED takes the
// settings anew (a new split or new limits finalize the open shard), each
// PAUSED->READY drops a clip that did not reach EOS. The writer and its open
// shard live until READY->NULL.
static bool begin_run(GstDatasetSink* self) {
  State& st = *self->state;
  st.clip.reset();
  st.tag_genres.clear();
  st.params.clear();
  st.shape.clear();
  return ensure_writer(self);
}

static GstStateChangeReturn change_state(GstElement* element, GstStateChange transition) {
  GstDatasetSink* self = GST_DATASET_SINK(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !begin_run(self)) return GST_STATE_CHANGE_FAILURE;
  GstStateChangeReturn ret = GST_ELEMENT_CLASS(gst_dataset_sink_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) drop_clip(self, "stopped before EOS");
  if (transition == GST_STATE_CHANGE_READY_TO_NULL) close_writer(self);
  return ret;
}

// ---- GObject ----------------------------------------------------------------------------

static void set_string(std::string* into, const GValue* value) {
  const gchar* s = g_value_get_string(value);
  *into = s ? s : "";
}

static void set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  GstDatasetSink* self = GST_DATASET_SINK(object);
  GST_OBJECT_LOCK(self);
  Settings& s = *self->settings;
  switch (id) {
    case PROP_LOCATION: set_string(&s.location, value); break;
    case PROP_SPLIT: s.split = Split(g_value_get_enum(value)); break;
    case PROP_KEY: set_string(&s.key, value); break;
    case PROP_LABEL: set_string(&s.label, value); break;
    case PROP_MACRO_LABEL: set_string(&s.macro_label, value); break;
    case PROP_ALL_LABELS: set_string(&s.all_labels, value); break;
    case PROP_DTYPE: s.dtype = Dtype(g_value_get_enum(value)); break;
    case PROP_MAX_SAMPLES: s.max_samples = g_value_get_uint(value); break;
    case PROP_MAX_BYTES: s.max_bytes = g_value_get_uint64(value); break;
    case PROP_TAXONOMY: set_string(&s.taxonomy, value); break;
    case PROP_LABELS_FROM_TAGS: s.labels_from_tags = g_value_get_boolean(value); break;
    case PROP_EXTRA_JSON: set_string(&s.extra_json, value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void set_optional_string(GValue* value, const std::string& s) {
  g_value_set_string(value, s.empty() ? nullptr : s.c_str());
}

static void get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  GstDatasetSink* self = GST_DATASET_SINK(object);
  GST_OBJECT_LOCK(self);
  const Settings& s = *self->settings;
  switch (id) {
    case PROP_LOCATION: set_optional_string(value, s.location); break;
    case PROP_SPLIT: g_value_set_enum(value, int(s.split)); break;
    case PROP_KEY: set_optional_string(value, s.key); break;
    case PROP_LABEL: set_optional_string(value, s.label); break;
    case PROP_MACRO_LABEL: set_optional_string(value, s.macro_label); break;
    case PROP_ALL_LABELS: set_optional_string(value, s.all_labels); break;
    case PROP_DTYPE: g_value_set_enum(value, int(s.dtype)); break;
    case PROP_MAX_SAMPLES: g_value_set_uint(value, s.max_samples); break;
    case PROP_MAX_BYTES: g_value_set_uint64(value, s.max_bytes); break;
    case PROP_TAXONOMY: set_optional_string(value, s.taxonomy); break;
    case PROP_LABELS_FROM_TAGS: g_value_set_boolean(value, s.labels_from_tags); break;
    case PROP_EXTRA_JSON: set_optional_string(value, s.extra_json); break;
    case PROP_SAMPLES_WRITTEN: g_value_set_uint64(value, self->samples_written); break;
    case PROP_DUPLICATES_SKIPPED: g_value_set_uint64(value, self->duplicates_skipped); break;
    case PROP_FINALIZED_SHARDS: {
      std::vector<const gchar*> names;
      for (const auto& n : *self->finalized_shards) names.push_back(n.c_str());
      names.push_back(nullptr);
      g_value_set_boxed(value, names.data());
      break;
    }
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void finalize(GObject* object) {
  GstDatasetSink* self = GST_DATASET_SINK(object);
  delete self->state;  // a writer still open (never set to NULL) finalizes its shard here
  delete self->settings;
  delete self->finalized_shards;
  G_OBJECT_CLASS(gst_dataset_sink_parent_class)->finalize(object);
}

static void gst_dataset_sink_init(GstDatasetSink* self) {
  self->settings = new Settings();
  self->state = new State();
  self->finalized_shards = new std::vector<std::string>();
  self->samples_written = 0;
  self->duplicates_skipped = 0;
  gst_base_sink_set_sync(GST_BASE_SINK(self), FALSE);  // a file writer, not a renderer
  gst_base_sink_set_last_sample_enabled(GST_BASE_SINK(self), FALSE);  // holds no tensor after writing
}

static void gst_dataset_sink_class_init(GstDatasetSinkClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstBaseSinkClass* base_class = GST_BASE_SINK_CLASS(klass);
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;
  element_class->change_state = GST_DEBUG_FUNCPTR(change_state);
  base_class->set_caps = GST_DEBUG_FUNCPTR(set_caps);
  base_class->render = GST_DEBUG_FUNCPTR(render);
  base_class->event = GST_DEBUG_FUNCPTR(sink_event);

  const auto flags = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto ro = GParamFlags(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property(gobject_class, PROP_LOCATION,
      g_param_spec_string("location", "Location", "Dataset directory (created if missing); several "
          "pipelines and processes may write into one directory at once", nullptr, flags));
  g_object_class_install_property(gobject_class, PROP_SPLIT,
      g_param_spec_enum("split", "Split", "Split the samples belong to; each shard holds one split",
          dataset_sink_split_get_type(), int(Split::Train), flags));
  g_object_class_install_property(gobject_class, PROP_KEY,
      g_param_spec_string("key", "Key", "Sample key (track id), dot-free, at most 80 bytes; windows "
          "append \"_w<index>\". Default (null): the upstream file name without its last extension, "
          "other dots made '_' (Vibe_Ace.hq.ogg -> Vibe_Ace_hq)",
          nullptr, flags));
  g_object_class_install_property(gobject_class, PROP_LABEL,
      g_param_spec_string("label", "Label", "Fine class: a name or index of the taxonomy's classes; "
          "without a taxonomy a class index (all digits) or a name that joins the dataset's class list in "
          "manifest.json (one dataset uses one kind). Required unless labels-from-tags finds a genre tag",
          nullptr, flags));
  g_object_class_install_property(gobject_class, PROP_MACRO_LABEL,
      g_param_spec_string("macro-label", "Macro label", "Macrogenre: a name or index (without a "
          "taxonomy, names grow the dataset's macro class list). Default (null): the taxonomy's macro class "
          "of the fine label, -1 (none) without a taxonomy", nullptr, flags));
  g_object_class_install_property(gobject_class, PROP_ALL_LABELS,
      g_param_spec_string("all-labels", "All labels", "Further fine labels (comma-separated names or "
          "indices) for multi-label training, recorded in the sample's JSON; .cls keeps the label",
          nullptr, flags));
  g_object_class_install_property(gobject_class, PROP_EXTRA_JSON,
      g_param_spec_string("extra-json", "Extra JSON", "A JSON object whose fields are added to each sample's "
          ".json (e.g. {\"relative_path\": \"rock/a.wav\", \"artist\": \"12\"}); the sink's own fields "
          "keep their values. Read at each clip's first buffer", nullptr, flags));
  g_object_class_install_property(gobject_class, PROP_DTYPE,
      g_param_spec_enum("dtype", "Data type", "Tensor type in the .npy files; one dataset holds one type",
          dataset_sink_dtype_get_type(), int(Dtype::kFloat16), flags));
  g_object_class_install_property(gobject_class, PROP_MAX_SAMPLES,
      g_param_spec_uint("max-samples", "Max samples", "Samples per shard before rolling over to the "
          "next one (0 = no limit)", 0, G_MAXUINT, kDefaultMaxSamples, flags));
  g_object_class_install_property(gobject_class, PROP_MAX_BYTES,
      g_param_spec_uint64("max-bytes", "Max bytes", "Bytes per shard file before rolling over (0 = no "
          "limit); a shard always takes at least one sample", 0, G_MAXUINT64, kDefaultMaxBytes, flags));
  g_object_class_install_property(gobject_class, PROP_TAXONOMY,
      g_param_spec_string("taxonomy", "Taxonomy", "Taxonomy JSON file (as written by fma-convert) that "
          "maps class names to indices and fine to macro classes; its class lists go into the manifest",
          nullptr, flags));
  g_object_class_install_property(gobject_class, PROP_LABELS_FROM_TAGS,
      g_param_spec_boolean("labels-from-tags", "Labels from tags", "Take the fine label from the "
          "stream's GST_TAG_GENRE tag (with a taxonomy the first genre it knows, without one the first genre, "
          "a name growing the class list or an index; other genres become extra labels); falls back to the "
          "label property when no genre tag arrives", FALSE, flags));
  g_object_class_install_property(gobject_class, PROP_SAMPLES_WRITTEN,
      g_param_spec_uint64("samples-written", "Samples written", "Samples this element has committed "
          "into shards (durable once their shard is in finalized-shards)", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property(gobject_class, PROP_DUPLICATES_SKIPPED,
      g_param_spec_uint64("duplicates-skipped", "Duplicates skipped", "Samples skipped because their "
          "key was already in the dataset (resumed conversions, or another file with the same key: "
          "each clip that loses samples posts a warning)", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property(gobject_class, PROP_FINALIZED_SHARDS,
      g_param_spec_boxed("finalized-shards", "Finalized shards", "Shard files this element has "
          "finalized (renamed to .tar and listed in manifest.json)", G_TYPE_STRV, ro));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(element_class, "Dataset sink", "Sink/File",
      "Writes tensors as labelled training samples into WebDataset tar shards (.npy, .cls, "
      ".macro.cls, .json) with a manifest; concurrent, crash-safe and resumable",
      "gst-genre developers");
  gst_type_mark_as_plugin_api(dataset_sink_split_get_type(), GstPluginAPIFlags(0));
  gst_type_mark_as_plugin_api(dataset_sink_dtype_get_type(), GstPluginAPIFlags(0));
  GST_DEBUG_CATEGORY_INIT(gst_dataset_sink_debug, "datasetsink", 0, "training shard writer");
}
