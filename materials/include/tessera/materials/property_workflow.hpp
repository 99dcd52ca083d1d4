#pragma once
// The property workflows as `tessera materials train-property` and `predict` run them: from a
// folder of micrographs and a table of their specimens' property to a model, and from a model
// to predictions with intervals and evidence maps.
//
//   train_property_from_files({.inputs = {.images = "uhcs/images"}, .table = "metadata.csv",
//                              .target = "anneal_temperature_C", .group = "sample_key",
//                              .output = "temperature.h5"});
//   predict_folder({.model = "temperature.h5", .inputs = {.images = "new/"}, .output = "out/"});
#include <string>
#include <vector>

#include "tessera/materials/property_model.hpp"
#include "tessera/materials/workflow.hpp"

namespace tessera::materials {

enum class TargetKind { automatic, number, category };

struct PropertyTraining {
  ImageInputs inputs{};  // metadata: pixel sizes (else the table's own um_per_px column)
  std::string table{};   // one row per image: its name, the target, its specimen
  std::string target{};  // the column to predict
  std::string group{};   // the specimen column (default: specimen, sample_key or sample)
  TargetKind kind = TargetKind::automatic;  // automatic: a category when any value is not a
                                            // number or there are only two values
  std::string output{};                     // model to write (.h5)
  double target_um_per_px = 0;              // common pixel size; 0: the median of the images'
  PropertyTrainOptions train{};
};

// Images of the table with an empty target are left out. Throws std::runtime_error naming the
// table and line for a missing column, an image that is not in the folder, a specimen without
// a name or a number that is not one; SettingError for outputs that overwrite inputs.
PropertyModel train_property_from_files(const PropertyTraining& t);

struct PropertyPrediction {
  std::string model{};
  ImageInputs inputs{};  // metadata: pixel sizes and specimens of the images
  std::string group{};   // the metadata's specimen column (default: specimen, sample_key, sample)
  std::string output{};  // folder: predictions.csv, specimens.csv, <image>_evidence.png (the
                         // network's Grad-CAM; a texture forest has none)
  DataType precision = DataType::f32;  // the network's convolutions'
  Device device = Device::cpu();       // where the network computes
};

struct PredictionReport {
  std::vector<std::string> images;  // predicted, in natural order
  std::string images_csv, specimens_csv;
};

// Every micrograph of the folder; the output folder appears whole or not at all.
PredictionReport predict_folder(const PropertyPrediction& p);

}  // namespace tessera::materials
