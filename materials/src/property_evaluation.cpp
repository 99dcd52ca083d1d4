#include "tessera/materials/property_evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "image_folder.hpp"
#include "report_files.hpp"
#include "tessera/formats/csv_table.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/output_check.hpp"
#include "tessera/io/settings.hpp"
#include "tessera/materials/property_scores.hpp"

namespace tessera::materials {

namespace fs = std::filesystem;

namespace {

// One image's prediction and truth: a number, or class probabilities and the true class.
struct Scored {
  std::string specimen;
  double predicted = 0, truth = 0;
  std::vector<double> probabilities{};
  int truth_class = -1;
};

double number_at(const formats::CsvTable& t, const formats::CsvRow& row, int column) {
  const std::string& cell = row.cells[size_t(column)];
  const std::optional<double> v = number_in_cell(cell);
  if (!v) t.fail(row.line, t.header[size_t(column)] + ": '" + cell + "' is not a number");
  return *v;
}

// The classes of a prediction table: its p_<class> columns in order.
std::vector<std::string> predicted_classes(const formats::CsvTable& t) {
  std::vector<std::string> out;
  for (const std::string& h : t.header)
    if (h.rfind("p_", 0) == 0) out.push_back(h.substr(2));
  return out;
}

// The predictions joined to the truth by image stem; images without a truth value are left
// out.
std::vector<Scored> joined(const PropertyEvaluation& e, std::vector<std::string>& classes) {
  const formats::CsvTable p = formats::read_csv_table(e.predictions, {.delimiter = 0});
  const formats::CsvTable t = formats::read_csv_table(e.truth, {.delimiter = 0});
  const int p_image = image_column(p), predicted = p.column({"prediction"});
  if (predicted < 0) p.fail(p.header_line, "no prediction column (write it with predict)");
  classes = predicted_classes(p);
  const int t_image = image_column(t), target = t.column({e.target});
  if (target < 0) t.fail(t.header_line, "no column '" + e.target + "'");
  const int group =
      e.group.empty() ? t.column({"specimen", "sample_key", "sample"}) : t.column({e.group});
  if (group < 0)
    t.fail(t.header_line, e.group.empty() ? "no specimen column (specimen, sample_key, sample)"
                                          : "no column '" + e.group + "'");
  std::map<std::string, const formats::CsvRow*> truth;
  for (const formats::CsvRow& row : t.rows)
    if (!row.cells[size_t(target)].empty())
      truth[fs::path(row.cells[size_t(t_image)]).stem().string()] = &row;
  std::vector<Scored> out;
  for (const formats::CsvRow& row : p.rows) {
    const auto it = truth.find(fs::path(row.cells[size_t(p_image)]).stem().string());
    if (it == truth.end()) continue;
    const formats::CsvRow& tr = *it->second;
    Scored s{tr.cells[size_t(group)]};
    if (s.specimen.empty()) t.fail(tr.line, "no specimen");
    if (classes.empty()) {
      s.predicted = number_at(p, row, predicted), s.truth = number_at(t, tr, target);
    } else {
      for (size_t c = 0; c < classes.size(); ++c)
        s.probabilities.push_back(number_at(p, row, p.column({"p_" + classes[c]})));
      const auto c = std::find(classes.begin(), classes.end(), tr.cells[size_t(target)]);
      if (c == classes.end())
        t.fail(tr.line, "'" + tr.cells[size_t(target)] + "' is not one of the predicted classes");
      s.truth_class = int(c - classes.begin());
    }
    out.push_back(std::move(s));
  }
  if (out.empty())
    throw std::runtime_error(e.predictions + ": no image has a value of '" + e.target + "' in " +
                             e.truth);
  return out;
}

// Each specimen's mean prediction (or mean probabilities) and its truth; none when a class
// differs between a specimen's images (a fact of each field, such as its dominant
// microconstituent, rather than of the specimen).
std::vector<Scored> by_specimen(const std::vector<Scored>& images) {
  std::map<std::string, std::vector<const Scored*>> groups;
  for (const Scored& s : images) groups[s.specimen].push_back(&s);
  std::vector<Scored> out;
  for (const auto& [specimen, members] : groups) {
    const double n = double(members.size());
    Scored s{specimen, 0, 0, std::vector<double>(members[0]->probabilities.size(), 0),
             members[0]->truth_class};
    for (const Scored* m : members) {
      s.predicted += m->predicted / n, s.truth += m->truth / n;
      for (size_t c = 0; c < s.probabilities.size(); ++c)
        s.probabilities[c] += m->probabilities[c] / n;
      if (m->truth_class != s.truth_class) return {};
    }
    out.push_back(std::move(s));
  }
  return out;
}

PropertyScores scores_of(const std::vector<Scored>& items, size_t classes) {
  PropertyScores out{.count = items.size()};
  if (classes == 0) {
    std::vector<double> p, t;
    for (const Scored& s : items) p.push_back(s.predicted), t.push_back(s.truth);
    out.r_squared = r_squared(p, t), out.mean_absolute_error = mean_absolute_error(p, t);
    return out;
  }
  std::vector<int> p, t;
  std::vector<double> score;
  std::vector<bool> positive;
  for (const Scored& s : items) {
    p.push_back(int(std::max_element(s.probabilities.begin(), s.probabilities.end()) -
                    s.probabilities.begin()));
    t.push_back(s.truth_class);
    out.accuracy += (p.back() == t.back()) / double(items.size());
    score.push_back(s.probabilities.back()), positive.push_back(s.truth_class == 1);
  }
  out.macro_f1 = macro_f1(p, t, int(classes));
  out.roc_auc = classes == 2 ? roc_auc(score, positive) : std::nan("");
  return out;
}

nlohmann::json scores_json(const PropertyScores& s, bool categorical) {
  if (!categorical)
    return {{"count", s.count},
            {"r_squared", score_json(s.r_squared)},
            {"mean_absolute_error", score_json(s.mean_absolute_error)}};
  return {{"count", s.count},
          {"accuracy", score_json(s.accuracy)},
          {"macro_f1", score_json(s.macro_f1)},
          {"roc_auc", score_json(s.roc_auc)}};
}

}  // namespace

PropertyEvaluationReport evaluate_property_to_files(const PropertyEvaluation& e) {
  check_outputs_spare_inputs(
      {.inputs = {{"prediction", e.predictions}, {"truth", e.truth}},
       .output_files = {{"output", e.output}, {"markdown", markdown_path(e.output, e.markdown)}}});
  if (e.target.empty())
    throw SettingError("target", "names no column: it is needed to score predictions");
  PropertyEvaluationReport r{.target = e.target};
  const std::vector<Scored> images = joined(e, r.classes);
  r.images = scores_of(images, r.classes.size());
  const std::vector<Scored> specimens = by_specimen(images);
  if (!specimens.empty()) r.specimens = scores_of(specimens, r.classes.size());
  r.markdown = to_markdown(r);
  r.files = write_scores(to_json(r), r.markdown, e.output, e.markdown);
  return r;
}

nlohmann::json to_json(const PropertyEvaluationReport& r) {
  const bool categorical = !r.classes.empty();
  return {
      {"target", r.target},
      {"classes", r.classes},
      {"specimens", r.specimens.count ? scores_json(r.specimens, categorical) : nlohmann::json()},
      {"images", scores_json(r.images, categorical)}};
}

std::string to_markdown(const PropertyEvaluationReport& r) {
  const bool categorical = !r.classes.empty();
  std::string out = "Predicted " + r.target + " against the truth (per specimen: the mean of " +
                    "its images' predictions)\n\n";
  out += categorical ? "| unit | count | accuracy | macro-F1 | ROC-AUC |\n|---|---|---|---|---|\n"
                     : "| unit | count | R2 | MAE |\n|---|---|---|---|\n";
  char line[160];
  for (const auto& [unit, s] :
       {std::pair{"specimens", r.specimens}, std::pair{"images", r.images}}) {
    if (s.count == 0)
      std::snprintf(line, sizeof line,
                    "| %s | 0 | the class differs between a specimen's images |\n", unit);
    else if (categorical)
      std::snprintf(line, sizeof line, "| %s | %zu | %.3f | %.3f | %.3f |\n", unit, s.count,
                    s.accuracy, s.macro_f1, s.roc_auc);
    else
      std::snprintf(line, sizeof line, "| %s | %zu | %.3f | %.4g |\n", unit, s.count, s.r_squared,
                    s.mean_absolute_error);
    out += line;
  }
  return out;
}

}  // namespace tessera::materials
