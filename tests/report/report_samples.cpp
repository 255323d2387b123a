// Writes sample figures of the report library for a person to look at:
// confusion matrices for 8, 16 and ~110 classes (FMA genre names) from
// synthetic classifier scores, and learning curves of a two-stage run.
//   report-samples OUT_DIR [genres.csv]
// With FMA's genres.csv the ~110-class matrix uses its real genre titles.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "report/confusion_csv.h"
#include "report/confusion_png.h"
#include "report/learning_curves_png.h"
#include "report/markdown.h"
#include "report/metrics.h"

using namespace genre::report;

namespace {

// Scores of a mediocre classifier: the true class gets a boost that depends
// on the class (some are easy), each class has a "neighbour" it is confused
// with, and a few classes soak up wrong predictions (as Pop does in FMA).
// Classes in `rare` (absent from the training labels) are almost never predicted.
std::vector<float> synthetic_scores(const std::vector<int64_t>& labels, int64_t classes, unsigned seed,
                                    const std::vector<bool>& rare = {}) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  std::vector<float> probs(labels.size() * size_t(classes));
  for (size_t i = 0; i < labels.size(); ++i) {
    float* row = probs.data() + i * size_t(classes);
    const int64_t t = labels[i];
    for (int64_t j = 0; j < classes; ++j) row[j] = 1.1f * noise(rng);
    row[t] += 1.2f + 2.2f * float((t * 7) % 5) / 4.0f;
    row[(t * 3 + 1) % classes] += 1.3f;
    row[0] += 0.6f;
    for (int64_t j = 0; j < classes; ++j)
      if (!rare.empty() && rare[size_t(j)]) row[j] -= 3.5f;
    float max = row[0], sum = 0;
    for (int64_t j = 0; j < classes; ++j) max = std::max(max, row[j]);
    for (int64_t j = 0; j < classes; ++j) sum += row[j] = std::exp(row[j] - max);
    for (int64_t j = 0; j < classes; ++j) row[j] /= sum;
  }
  return probs;
}

// Imbalanced labels: class k has weight 1 / (1 + k / 4); classes in `absent` get none.
std::vector<int64_t> synthetic_labels(int64_t classes, int64_t n, unsigned seed, const std::vector<bool>& absent) {
  std::vector<double> w(static_cast<size_t>(classes));
  for (int64_t k = 0; k < classes; ++k) w[size_t(k)] = absent[size_t(k)] ? 0.0 : 1.0 / (1 + k / 4.0);
  std::mt19937 rng(seed);
  std::discrete_distribution<int64_t> pick(w.begin(), w.end());
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (auto& l : labels) l = pick(rng);
  return labels;
}

std::vector<std::string> fma_titles(const std::string& genres_csv) {
  std::vector<std::string> names;
  std::ifstream f(genres_csv);
  std::string line;
  std::getline(f, line);  // genre_id,#tracks,parent,title,top_level
  while (std::getline(f, line)) {
    // title is the 4th field; FMA quotes titles that hold commas.
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;
    for (char c : line) {
      if (c == '"')
        quoted = !quoted;
      else if (c == ',' && !quoted)
        fields.push_back(field), field.clear();
      else
        field += c;
    }
    fields.push_back(field);
    if (fields.size() >= 4) names.push_back(fields[3]);
  }
  return names;
}

// `absent`: classes with no samples; `rare`: classes the classifier hardly ever predicts.
void confusion_sample(const std::string& out, const std::string& stem, const std::vector<std::string>& names, int64_t n,
                      const std::vector<bool>& absent, const std::vector<bool>& rare, const std::string& title) {
  const int64_t c = int64_t(names.size());
  const auto labels = synthetic_labels(c, n, 7, absent);
  const auto probs = synthetic_scores(labels, c, 11, rare);
  ClassificationMetrics m = evaluate(probs.data(), n, c, labels.data());
  write_confusion_png(out + "/" + stem + ".png", m, names, title);
  write_confusion_csv(out + "/" + stem + ".csv", m, names);
  std::ofstream(out + "/" + stem + ".md") << markdown_metrics(m, names, title);
  std::cout << out << "/" << stem << ".png\n";
}

std::vector<CurvePoint> two_stage_curves(bool restart_epochs) {
  std::vector<CurvePoint> points;
  std::mt19937 rng(3);
  std::normal_distribution<double> jitter(0.0, 1.0);
  for (int e = 1; e <= 10; ++e) {
    const double t = e / 10.0;
    points.push_back({e, "macro", 1.9 * std::exp(-2.2 * t) + 0.55 + 0.02 * jitter(rng),
                      1.6 * std::exp(-1.8 * t) + 0.8 + 0.04 * jitter(rng),
                      0.42 + 0.22 * (1 - std::exp(-3 * t)) + 0.01 * jitter(rng), 0.40 + 0.35 * (1 - std::exp(-3 * t))});
  }
  for (int e = 1; e <= 20; ++e) {
    const double t = e / 20.0;
    points.push_back({restart_epochs ? e : 10 + e, "fine", 3.2 * std::exp(-2.5 * t) + 0.9 + 0.03 * jitter(rng),
                      2.6 * std::exp(-2.0 * t) + 1.55 + 0.15 * t * t + 0.05 * jitter(rng),
                      0.18 + 0.27 * (1 - std::exp(-3.5 * t)) + 0.012 * jitter(rng),
                      0.15 + 0.5 * (1 - std::exp(-2.5 * t))});
  }
  points[13].val_loss = NAN;  // an epoch without validation
  return points;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: report-samples OUT_DIR [genres.csv]\n";
    return 2;
  }
  const std::string out = argv[1];
  try {
    confusion_sample(out, "confusion_8",
                     {"Electronic", "Experimental", "Folk", "Hip-Hop", "Instrumental", "International", "Pop", "Rock"},
                     800, std::vector<bool>(8, false), {}, "fma_small / val / top genres (track level)");
    // Easy Listening has no val samples here but is still predicted: a grey row.
    std::vector<bool> no_easy_listening(16, false);
    no_easy_listening[15] = true;
    confusion_sample(
        out, "confusion_16",
        {"Rock", "Experimental", "Electronic", "Hip-Hop", "Folk", "Instrumental", "Pop", "International", "Classical",
         "Old-Time / Historic", "Jazz", "Country", "Soul-RnB", "Spoken", "Blues", "Easy Listening"},
        2500, no_easy_listening, {}, "fma_medium / val / FMA top-level genres (16 classes)");
    std::vector<std::string> fine;
    if (argc == 3) fine = fma_titles(argv[2]);
    if (fine.size() < 110)
      for (int k = int(fine.size()); k < 163; ++k) fine.push_back("Genre number " + std::to_string(k));
    // Every third genre has no samples and (all but a few) is hardly ever
    // predicted: ~110 classes shown, a few of them as grey rows.
    std::vector<bool> absent(fine.size()), rare(fine.size());
    for (size_t k = 0; k < fine.size(); ++k) {
      absent[k] = k % 3 == 2;
      rare[k] = absent[k] && k % 40 != 2;
    }
    confusion_sample(out, "confusion_163_fine", fine, 6000, absent, rare,
                     "fma_medium / val / fine genres (window level)");

    write_learning_curves_png(out + "/curves_two_stage.png", two_stage_curves(true),
                              "ResNet-18 on fma_medium: macro genres (10 epochs), then fine genres (20 epochs)");
    write_learning_curves_png(out + "/curves_two_stage_continuous.png", two_stage_curves(false),
                              "Same run, epochs numbered across both stages");
    std::vector<CurvePoint> single;
    for (int e = 1; e <= 8; ++e) single.push_back({e, "", 2.0 / e + 0.5, 2.2 / e + 0.7, 0.3 + 0.03 * e, NAN});
    write_learning_curves_png(out + "/curves_single_stage.png", single, "Small CNN on fma_small (8 epochs)");
    std::cout << out << "/curves_two_stage.png\n";
  } catch (const std::exception& e) {
    std::cerr << "report-samples: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
