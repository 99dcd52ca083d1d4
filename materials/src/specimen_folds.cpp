#include "tessera/materials/specimen_folds.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <stdexcept>

namespace tessera::materials {

std::vector<int> specimen_folds(const std::vector<std::string>& specimens, int folds,
                                uint64_t seed) {
  std::map<std::string, int64_t> size;
  for (const std::string& s : specimens) ++size[s];
  if (folds < 2 || int64_t(size.size()) < folds)
    throw std::invalid_argument("folds by specimen: " + std::to_string(folds) + " folds for " +
                                std::to_string(size.size()) +
                                " specimens (need at least 2 folds and a specimen per fold)");
  std::vector<std::pair<std::string, int64_t>> order(size.begin(), size.end());
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<int64_t> load(size_t(folds), 0);
  std::map<std::string, int> fold_of;
  for (const auto& [specimen, n] : order) {
    const int f = int(std::min_element(load.begin(), load.end()) - load.begin());
    fold_of[specimen] = f;
    load[size_t(f)] += n;
  }
  std::vector<int> out;
  for (const std::string& s : specimens) out.push_back(fold_of.at(s));
  return out;
}

}  // namespace tessera::materials
