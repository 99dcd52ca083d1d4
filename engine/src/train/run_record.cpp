#include "run_record.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <sstream>

namespace tessera {

using json = nlohmann::json;

json history_json(const std::vector<HistoryRow>& rows) {
  json j = json::array();
  for (const HistoryRow& r : rows)
    j.push_back({r.step, r.loss, r.lr, r.seconds,
                 std::isnan(r.validation) ? json(nullptr) : json(r.validation)});
  return j;
}

std::vector<HistoryRow> history_from_json(const json& j) {
  std::vector<HistoryRow> rows;
  for (const json& r : j) {
    HistoryRow row{r.at(0).get<int64_t>(), r.at(1).get<double>(), r.at(2).get<double>(),
                   r.at(3).get<double>()};
    if (!r.at(4).is_null()) row.validation = r.at(4).get<double>();
    rows.push_back(row);
  }
  return rows;
}

std::string history_csv(const std::vector<HistoryRow>& rows) {
  std::string out = "step,loss,lr,seconds,validation\n";
  char line[160];
  for (const HistoryRow& r : rows) {
    std::snprintf(line, sizeof line, "%lld,%.9g,%.9g,%.3f,", static_cast<long long>(r.step), r.loss,
                  r.lr, r.seconds);
    out += line;
    if (!std::isnan(r.validation)) {
      std::snprintf(line, sizeof line, "%.9g", r.validation);
      out += line;
    }
    out += '\n';
  }
  return out;
}

std::vector<std::string> gather_texts(Communicator* comm, const std::string& mine) {
  if (!comm || comm->size() == 1) return {mine};
  // Bytes travel as floats (exact up to 2^24), padded to the longest text.
  const int ranks = comm->size();
  const float length = float(mine.size());
  std::vector<float> lengths(static_cast<size_t>(ranks));
  comm->allgather(&length, 1, lengths.data());
  size_t longest = 0;
  for (float l : lengths) longest = std::max(longest, size_t(l));
  std::vector<float> bytes(longest, 0.f), all(longest * size_t(ranks));
  for (size_t i = 0; i < mine.size(); ++i) bytes[i] = float(static_cast<unsigned char>(mine[i]));
  comm->allgather(bytes.data(), int64_t(longest), all.data());
  std::vector<std::string> texts;
  for (size_t r = 0; r < size_t(ranks); ++r) {
    std::string t(size_t(lengths[r]), '\0');
    for (size_t i = 0; i < t.size(); ++i)
      t[i] = char(static_cast<unsigned char>(all[r * longest + i]));
    texts.push_back(std::move(t));
  }
  return texts;
}

namespace {

std::string duration_text(double seconds) {
  const long long s = std::llround(seconds);
  std::ostringstream out;
  if (s >= 3600)
    out << s / 3600 << " h " << (s % 3600) / 60 << " min";
  else if (s >= 60)
    out << s / 60 << " min " << s % 60 << " s";
  else
    out << s << " s";
  return out.str();
}

}  // namespace

ProgressLine::ProgressLine(bool show, int64_t first_step, int64_t steps)
    : show_(show && ::isatty(STDERR_FILENO)),
      first_(first_step),
      steps_(steps),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void ProgressLine::update(int64_t done, float loss) {
  if (!show_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < steps_ && now - last_ < std::chrono::milliseconds(250) && drawn_) return;
  last_ = now;
  drawn_ = true;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double rate = double(done - first_) / std::max(seconds, 1e-9);
  std::fprintf(stderr, "\rstep %lld/%lld (%.0f%%)  %.3g steps/s  loss %.4g  ETA %s   ",
               static_cast<long long>(done), static_cast<long long>(steps_),
               100.0 * double(done) / double(std::max<int64_t>(steps_, 1)), rate, double(loss),
               duration_text(double(steps_ - done) / std::max(rate, 1e-9)).c_str());
  std::fflush(stderr);
}

void ProgressLine::clear() {
  if (show_ && drawn_) std::fprintf(stderr, "\r%100s\r", "");
  drawn_ = false;
}

void ProgressLine::finish() {
  if (show_ && drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

}  // namespace tessera
