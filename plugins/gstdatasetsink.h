// datasetsink: writes other/tensors samples into WebDataset training shards
// (a thin wrapper over genre::shard::DatasetWriter, lib/shard).
#pragma once

#include <gst/base/gstbasesink.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_DATASET_SINK (gst_dataset_sink_get_type())
G_DECLARE_FINAL_TYPE(GstDatasetSink, gst_dataset_sink, GST, DATASET_SINK, GstBaseSink)

G_END_DECLS
