#pragma once
// Cross-validation folds that never split a specimen: images of one specimen are alike, so an
// image-wise split scores memory, not skill.
//
//   std::vector<int> fold = specimen_folds(specimen_of_each_image, 4);  // fold[i] in 0..3
#include <cstdint>
#include <string>
#include <vector>

namespace tessera::materials {

// A fold per item, 0..folds-1, every item of a specimen in the same fold. Specimens go, largest
// first (ties in an order shuffled by `seed`), to the fold with the fewest items so far, so the
// folds hold about as many images each. Throws std::invalid_argument when there are fewer
// specimens than folds or folds < 2.
std::vector<int> specimen_folds(const std::vector<std::string>& specimens, int folds,
                                uint64_t seed = 0);

}  // namespace tessera::materials
