#include "test_bundles.h"

#include <gst/gst.h>
#include <torch/torch.h>

#include <stdexcept>

#include "model/bundle.h"
#include "model/model_factory.h"

namespace genre::test {

namespace {

std::string probe_source(const ProbeBundleSpec& s) {
  const std::string k = std::to_string(s.target == "macro" ? s.macro.size() : s.fine.size());
  const std::string m = std::to_string(s.macro.size());
  std::string target = "x[:, 0, 0, 0:" + k + "]";
  if (s.behaviour == ProbeBehaviour::WrongShape) target = "x[:, 0, 0, 0:" + k + " - 1]";
  std::string body = "    y = " + target + ".clone()\n";
  if (s.behaviour == ProbeBehaviour::Throws)
    body += "    assert not bool((x[:, 0, 2, 0] > 100.0).any()), 'deliberate failure of the probe model'\n";
  if (s.behaviour == ProbeBehaviour::NonFinite)
    body += "    loud = x[:, 0, 2, 0:1]\n"
            "    y = torch.where(loud > 200.0, torch.full_like(y, float('inf')), y)\n"
            "    y = torch.where((loud > 100.0) & (loud <= 200.0), torch.full_like(y, float('nan')), y)\n";
  if (s.behaviour == ProbeBehaviour::Slow)
    body += "    a = self.work\n"
            "    for i in range(" + std::to_string(s.slow_matmuls) + "):\n"
            "        a = torch.tanh(torch.mm(a, self.work))\n"
            "    y = y + 0.0 * a.sum()\n";
  std::string src = "def forward(self, x: Tensor) -> Tensor:\n" + body + "    return y\n";
  src += "def forward_heads(self, x: Tensor) -> List[Tensor]:\n";
  if (s.macro_head && s.target != "macro")
    src += "    return [x[:, 0, 1, 0:" + m + "].clone(), self.forward(x)]\n";
  else
    src += "    return [self.forward(x)]\n";
  return src;
}

model::BundleInfo probe_info(const ProbeBundleSpec& s) {
  model::BundleInfo info;
  info.model = s.model_name;
  info.regime = "standard";
  info.target = s.target;
  if (s.macro_head && s.target != "macro")
    info.heads = {"macro", "fine"};
  else
    info.heads = {s.target};
  info.input_shape = {s.channels, s.height, s.width};
  info.multi_label = s.multi_label;
  for (size_t i = 0; i < s.fine.size(); ++i)
    info.classes.fine.push_back({int(i), s.fine[i], i < s.fine_fma_ids.size() ? s.fine_fma_ids[i] : -1,
                                 i < s.fine_macro.size() ? s.fine_macro[i] : -1});
  for (size_t i = 0; i < s.macro.size(); ++i) info.classes.macro.push_back({int(i), s.macro[i], -1, -1});
  if (!s.fine_parent.empty()) info.tree = taxonomy::GenreTree(s.fine_macro, s.fine_parent, int(s.macro.size()));
  info.preprocessing = s.preprocessing;
  info.manifest_sha256 = std::string(64, '0');
  return info;
}

}  // namespace

void write_probe_bundle(const std::string& path, const ProbeBundleSpec& spec) {
  torch::jit::Module module("ProbeModel");
  module.register_attribute("training", c10::BoolType::get(), false);
  if (spec.behaviour == ProbeBehaviour::Slow)
    module.register_buffer("work", torch::full({64, 64}, 1.0f / 64.0f));
  module.define(probe_source(spec));
  model::save_bundle(module, probe_info(spec), path);
}

void write_model_bundle(const std::string& path, const std::string& name, const ProbeBundleSpec& spec) {
  torch::manual_seed(7);
  model::ModelSpec ms;
  ms.name = name;
  ms.channels = spec.channels;
  ms.height = spec.height;
  ms.width = spec.width;
  ms.heads = {int64_t(spec.target == "macro" ? spec.macro.size() : spec.fine.size())};
  model::BuiltModel built = model::build_model(ms);
  built.module.eval();
  ProbeBundleSpec described = spec;
  described.model_name = name;
  described.macro_head = false;
  model::save_bundle(built.module, probe_info(described), path);
}

void write_plain_torchscript(const std::string& path) {
  torch::jit::Module module("Plain");
  module.define("def forward(self, x: Tensor) -> Tensor:\n    return x * 2.0\n");
  module.save(path);
}

namespace {

nlohmann::json value_json(const GValue* v) {
  switch (G_TYPE_FUNDAMENTAL(G_VALUE_TYPE(v))) {
    case G_TYPE_BOOLEAN: return bool(g_value_get_boolean(v));
    case G_TYPE_INT: return g_value_get_int(v);
    case G_TYPE_UINT: return g_value_get_uint(v);
    case G_TYPE_DOUBLE: return g_value_get_double(v);
    case G_TYPE_STRING: return g_value_get_string(v) ? nlohmann::json(g_value_get_string(v)) : nlohmann::json();
    default: return nullptr;
  }
}

}  // namespace

nlohmann::json capture_preprocessing(const std::string& middle) {
  const std::string desc = "audiotestsrc num-buffers=20 samplesperbuffer=1024 ! audioconvert ! audioresample ! " +
                           middle + " ! fakesink name=sink";
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(desc.c_str(), &error);
  if (!pipeline) {
    if (error) g_error_free(error);
    return nlohmann::json::object();
  }
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* msg = gst_bus_timed_pop_filtered(bus, 30 * GST_SECOND,
                                               GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  nlohmann::json out = nlohmann::json::object();
  if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) {
    GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
    GstPad* pad = gst_element_get_static_pad(sink, "sink");
    for (guint i = 0;; ++i) {
      GstEvent* ev = gst_pad_get_sticky_event(pad, GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, i);
      if (!ev) break;
      const GstStructure* s = gst_event_get_structure(ev);
      nlohmann::json fields = nlohmann::json::object();
      for (gint f = 0; f < gst_structure_n_fields(s); ++f) {
        const gchar* name = gst_structure_nth_field_name(s, f);
        fields[name] = value_json(gst_structure_get_value(s, name));
      }
      out[gst_structure_get_name(s)] = fields;
      gst_event_unref(ev);
    }
    gst_object_unref(pad);
    gst_object_unref(sink);
  }
  if (msg) gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return out;
}

}  // namespace genre::test
