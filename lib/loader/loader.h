// The training data side of genre-train: sample table, track-level folds and
// the batch loader (no LibTorch here; the trainer copies Batch::images).
#pragma once

#include "loader/augment.h"
#include "loader/batch_loader.h"
#include "loader/folds.h"
#include "loader/sample_table.h"
