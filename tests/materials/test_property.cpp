// The property model: CAM and Grad-CAM against a direct computation, conformal intervals and
// prediction sets by hand, a model that learns a synthetic anneal and reads back the same, the
// evaluation of predictions by hand, and the errors of its workflows.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/data/micrograph_folder.hpp"
#include "tessera/materials/evidence_map.hpp"
#include "tessera/materials/property_evaluation.hpp"
#include "tessera/materials/property_workflow.hpp"
#include "tessera/nn/layers.hpp"

namespace tessera::materials {
namespace {

using tessera::testing::error_of;
using tessera::testing::TempDirTest;

// Features [1,3,2,2] with distinct values, and a 1x1 head of two classes.
struct TinyHead {
  Tensor features = Tensor::empty({1, 3, 2, 2});
  Conv head{{.in_channels = 3, .out_channels = 2, .kernel = {1, 1}}};
  TinyHead() {
    for (int i = 0; i < 12; ++i) features.data()[i] = float(std::sin(1.7 * i) * 2);
    head.initialize(3);
  }
  float w(int k, int c) { return head.weight().value.to_plain().data()[k * 3 + c]; }
  float b(int k) { return head.bias().value.to_plain().data()[k]; }
  float a(int c, int i) { return features.data()[c * 4 + i]; }
};

TEST(EvidenceMap, ClassActivationMapIsTheClassWeightsAtEachPixel) {
  TinyHead t;
  for (int k = 0; k < 2; ++k) {
    const cv::Mat cam = class_activation_map(t.head, t.features, k);
    ASSERT_EQ(cam.size(), cv::Size(2, 2));
    for (int i = 0; i < 4; ++i) {
      double direct = t.b(k);
      for (int c = 0; c < 3; ++c) direct += t.w(k, c) * t.a(c, i);
      EXPECT_NEAR(cam.at<float>(i / 2, i % 2), direct, 1e-5) << k << " " << i;
    }
  }
}

TEST(EvidenceMap, GradCamOfAOneByOneHeadIsTheRectifiedWeightedSum) {
  // y_k = mean over pixels of (w_k . A + b_k): d y_k / d A_c(pixel) = w_kc / 4, summed over the
  // 4 pixels alpha_c = w_kc.
  TinyHead t;
  for (int k = 0; k < 2; ++k) {
    const cv::Mat g = grad_cam(t.head, t.features, k);
    for (int i = 0; i < 4; ++i) {
      double direct = 0;
      for (int c = 0; c < 3; ++c) direct += t.w(k, c) * t.a(c, i);
      EXPECT_NEAR(g.at<float>(i / 2, i % 2), std::max(direct, 0.0), 1e-5) << k << " " << i;
    }
  }
}

TEST(EvidenceMap, GradCamWeightsAreTheGradientOfAnyHead) {
  // A head with a ReLU between two convolutions: alpha_c checked by finite differences of the
  // pooled score on each channel.
  Sequential head;
  head.add(std::make_unique<Conv>(
      ConvOptions{.in_channels = 3, .out_channels = 4, .kernel = {3, 3}, .padding = {1, 1}}));
  head.add(std::make_unique<Act>(Activation::relu));
  head.add(
      std::make_unique<Conv>(ConvOptions{.in_channels = 4, .out_channels = 2, .kernel = {1, 1}}));
  head.initialize(5);
  TinyHead t;
  const int k = 1;
  auto pooled = [&](const Tensor& a) {
    const Tensor s = head.forward(a, Mode::eval).to_plain();
    double sum = 0;
    for (int i = 0; i < 4; ++i) sum += s.data()[k * 4 + i];
    return sum / 4;
  };
  const cv::Mat g = grad_cam(head, t.features, k);
  std::vector<double> alpha(3, 0);
  const double h = 1e-2;
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 4; ++i) {
      Tensor up = t.features.clone(), down = t.features.clone();
      up.data()[c * 4 + i] += float(h), down.data()[c * 4 + i] -= float(h);
      alpha[size_t(c)] += (pooled(up) - pooled(down)) / (2 * h);
    }
  for (int i = 0; i < 4; ++i) {
    double direct = 0;
    for (int c = 0; c < 3; ++c) direct += alpha[size_t(c)] * t.a(c, i);
    EXPECT_NEAR(g.at<float>(i / 2, i % 2), std::max(direct, 0.0), 2e-3) << i;
  }
}

TEST(Intervals, ConformalQuantileAndPredictionSetsByHand) {
  // n = 4 scores, coverage 0.6: rank ceil(5 * 0.6) = 3 -> the third smallest.
  EXPECT_DOUBLE_EQ(conformal_quantile({0.4, 0.1, 0.3, 0.2}, 0.6), 0.3);
  // coverage 0.9: rank ceil(4.5) = 5 > 4 -> the largest.
  EXPECT_DOUBLE_EQ(conformal_quantile({0.4, 0.1, 0.3, 0.2}, 0.9), 0.4);
  EXPECT_EQ(prediction_set({0.2, 0.5, 0.3}, 0.25), (std::vector<int>{1, 2}));
  EXPECT_EQ(prediction_set({0.2, 0.5, 0.3}, 0.9), (std::vector<int>{1}));  // never empty
}

class Property : public TempDirTest {
 protected:
  // Synthetic specimens, every other one annealed long (coarser particles).
  void folder(const std::string& name, int specimens = 6, int images = 3) {
    data::write_micrograph_folder({.folder = path(name),
                                   .specimens = specimens,
                                   .images_per_specimen = images,
                                   .width = 128,
                                   .height = 96,
                                   .seed = 4});
  }
  PropertyTraining training(const std::string& name, const std::string& target) {
    PropertyTraining t{.inputs = {.images = path(name + "/images")},
                       .table = path(name + "/metadata.csv"),
                       .target = target,
                       .output = path(name + ".h5")};
    t.train.steps = 200, t.train.patch = 64, t.train.batch = 8, t.train.channels = {8, 16, 16, 16};
    return t;
  }
};

TEST_F(Property, LearnsTheAnnealAndReadsBackTheSame) {
  folder("m");
  const PropertyModel trained = train_property_from_files(training("m", "anneal"));
  EXPECT_EQ(trained.target.classes, (std::vector<std::string>{"long", "short"}));
  EXPECT_EQ(trained.intervals.held_out.size(), 2u);  // one specimen of each class of 3
  EXPECT_DOUBLE_EQ(trained.um_per_px, 0.2);
  const PredictionReport r =
      predict_folder({.model = path("m.h5"),
                      .inputs = {.images = path("m/images"), .metadata = path("m/metadata.csv")},
                      .output = path("out")});
  EXPECT_EQ(r.images.size(), 18u);
  EXPECT_TRUE(std::filesystem::exists(path("out/s0_0_evidence.png")));
  EXPECT_HAS(r.specimens_csv, "specimen,images,prediction,set,p_long,p_short\ns0,3,");
  const PropertyEvaluationReport e =
      evaluate_property_to_files({.predictions = path("out/predictions.csv"),
                                  .truth = path("m/metadata.csv"),
                                  .target = "anneal",
                                  .output = path("scores.json")});
  EXPECT_EQ(e.specimens.count, 6u);
  EXPECT_GT(e.images.roc_auc, 0.75) << e.markdown;  // chance: 0.5
  // The model file gives the same predictions.
  PropertyModel again = load_property_model(path("m.h5"));
  const Micrograph m = read_micrograph(path("m/images/s1_0.png"));
  PropertyModel first = load_property_model(path("m.h5"));
  EXPECT_EQ(predict_image(again, m.pixels).probabilities,
            predict_image(first, m.pixels).probabilities);
  EXPECT_EQ(again.intervals.held_out, trained.intervals.held_out);
}

TEST_F(Property, RegressesANumberWithAnInterval) {
  folder("m");
  PropertyTraining t = training("m", "particle_radius_um");
  const PropertyModel m = train_property_from_files(t);
  EXPECT_FALSE(m.target.categorical());
  EXPECT_GT(m.intervals.specimen_half_width, 0);
  const PredictionReport r = predict_folder(
      {.model = path("m.h5"), .inputs = {.images = path("m/images")}, .output = path("out")});
  EXPECT_HAS(r.images_csv, "image,specimen,prediction,lower,upper\ns0_0,,");
  EXPECT_EQ(r.specimens_csv, "specimen,images,prediction,lower,upper\n");  // no specimens known
}

TEST_F(Property, TheTextureForestBaselineLearnsTheAnnealAndReadsBackTheSame) {
  folder("m");
  PropertyTraining t = training("m", "anneal");
  t.train.method = "forest";
  const PropertyModel trained = train_property_from_files(t);
  EXPECT_EQ(trained.method, "forest");
  const PredictionReport r =
      predict_folder({.model = path("m.h5"),
                      .inputs = {.images = path("m/images"), .metadata = path("m/metadata.csv")},
                      .output = path("out")});
  EXPECT_FALSE(std::filesystem::exists(path("out/s0_0_evidence.png")));  // no maps
  const PropertyEvaluationReport e =
      evaluate_property_to_files({.predictions = path("out/predictions.csv"),
                                  .truth = path("m/metadata.csv"),
                                  .target = "anneal",
                                  .output = path("scores.json")});
  EXPECT_GT(e.images.roc_auc, 0.75) << e.markdown;
  PropertyModel again = load_property_model(path("m.h5"));
  EXPECT_EQ(again.method, "forest");
  const Micrograph m = read_micrograph(path("m/images/s1_0.png"));
  PropertyModel first = load_property_model(path("m.h5"));
  EXPECT_EQ(predict_image(again, m.pixels).probabilities,
            predict_image(first, m.pixels).probabilities);
  // A field that shrank to a few pixels at the model's pixel size is still read.
  EXPECT_EQ(predict_image(again, m.pixels(cv::Rect(0, 0, 12, 9))).probabilities.size(), 2u);
  t.train.method = "svm";
  t.output = path("svm.h5");
  EXPECT_EQ(tessera::testing::setting_of([&] { train_property_from_files(t); }), "method");
}

TEST_F(Property, MistakesAreNamedAndWriteNothing) {
  folder("m", 2, 1);
  PropertyTraining t = training("m", "hardness");
  EXPECT_HAS(error_of([&] { train_property_from_files(t); }),
             "metadata.csv:1: no column 'hardness'");
  std::ofstream(path("table.csv")) << "name,specimen,hv\ns0_0,a,200\nnowhere,b,300\n";
  t.table = path("table.csv"), t.target = "hv";
  EXPECT_HAS(error_of([&] { train_property_from_files(t); }), "table.csv:3: no image 'nowhere'");
  std::ofstream(path("table.csv")) << "name,specimen,hv\ns0_0,a,200\ns1_0,a,300\n";
  EXPECT_HAS(error_of([&] { train_property_from_files(t); }), "1 specimen");
  std::ofstream(path("table.csv")) << "name,specimen,hv\ns0_0,a,hard\ns1_0,b,300\n";
  t.kind = TargetKind::number;
  EXPECT_HAS(error_of([&] { train_property_from_files(t); }),
             "table.csv:2: hv: 'hard' is not a number");
  std::ofstream(path("table.csv")) << "name,specimen,um_per_px,hv\ns0_0,a,0.2,1\ns1_0,b,,2\n";
  t.kind = TargetKind::automatic;
  EXPECT_EQ(tessera::testing::setting_of([&] { train_property_from_files(t); }), "metadata");
  EXPECT_FALSE(std::filesystem::exists(path("m.h5")));
  EXPECT_HAS(error_of([&] { load_property_model(path("table.csv")); }), "table.csv");
  t.output = path("m/metadata.csv");  // an output that names an input
  EXPECT_FALSE(error_of([&] { train_property_from_files(t); }).empty());
}

TEST_F(Property, EvaluationByHand) {
  // Two specimens of two images; a number. Specimen means: a 1.5 (truth 1), b 3 (truth 4).
  std::ofstream(path("p.csv")) << "image,specimen,prediction,lower,upper\n"
                               << "x1,,1,0,2\nx2,,2,1,3\ny1,,3,2,4\ny2,,3,2,4\nz,,9,8,10\n";
  std::ofstream(path("t.csv")) << "file,sample_key,hv\nx1.png,a,1\nx2.png,a,1\ny1.png,b,4\n"
                               << "y2.png,b,4\nz.png,c,\n";
  PropertyEvaluationReport r = evaluate_property_to_files({.predictions = path("p.csv"),
                                                           .truth = path("t.csv"),
                                                           .target = "hv",
                                                           .output = path("s.json")});
  EXPECT_EQ(r.specimens.count, 2u);  // z has no truth
  EXPECT_DOUBLE_EQ(r.specimens.mean_absolute_error, (0.5 + 1) / 2);
  // R2 = 1 - (0.25 + 1) / (2 * 1.5^2)
  EXPECT_NEAR(r.specimens.r_squared, 1 - 1.25 / 4.5, 1e-12);
  EXPECT_DOUBLE_EQ(r.images.mean_absolute_error, (0 + 1 + 1 + 1) / 4.0);
  // A category: specimen b's mean probability of "hot" is 0.45 (< 0.55 for "cold").
  std::ofstream(path("c.csv")) << "image,specimen,prediction,set,p_cold,p_hot\n"
                               << "x1,,cold,cold,0.9,0.1\nx2,,cold,cold,0.8,0.2\n"
                               << "y1,,hot,hot,0.4,0.6\ny2,,cold,cold,0.7,0.3\n";
  std::ofstream(path("t.csv")) << "file,sample_key,t\nx1,a,cold\nx2,a,cold\ny1,b,hot\ny2,b,hot\n";
  r = evaluate_property_to_files({.predictions = path("c.csv"),
                                  .truth = path("t.csv"),
                                  .target = "t",
                                  .output = path("c.json")});
  EXPECT_DOUBLE_EQ(r.images.accuracy, 0.75);
  EXPECT_DOUBLE_EQ(r.specimens.accuracy, 0.5);
  EXPECT_DOUBLE_EQ(r.specimens.roc_auc, 1.0);  // b's 0.45 still above a's 0.15
  EXPECT_DOUBLE_EQ(r.images.roc_auc, 1.0);
  EXPECT_NEAR(r.specimens.macro_f1, (2.0 / 3 + 0) / 2, 1e-12);
  EXPECT_TRUE(std::filesystem::exists(path("c.md")));
  // A class that differs between a specimen's images: images scored, specimens not.
  std::ofstream(path("t.csv")) << "file,sample_key,t\nx1,a,cold\nx2,a,hot\ny1,b,hot\n";
  r = evaluate_property_to_files({.predictions = path("c.csv"),
                                  .truth = path("t.csv"),
                                  .target = "t",
                                  .output = path("v.json")});
  EXPECT_EQ(r.specimens.count, 0u);
  EXPECT_EQ(r.images.count, 3u);
  EXPECT_HAS(r.markdown, "| specimens | 0 | the class differs");
  std::ofstream(path("t.csv")) << "file,sample_key,t\nx1,a,cold\nx2,a,warm\n";
  EXPECT_HAS(error_of([&] {
               evaluate_property_to_files({.predictions = path("c.csv"),
                                           .truth = path("t.csv"),
                                           .target = "t",
                                           .output = path("d.json")});
             }),
             "t.csv:3: 'warm' is not one of the predicted classes");
  EXPECT_FALSE(std::filesystem::exists(path("d.json")));
}

}  // namespace
}  // namespace tessera::materials
