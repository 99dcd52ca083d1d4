// The sliding window: for frame t and colour plane c, a VolumeSource of the window's frames
// and noise planes that the tiled executor reads by region, and a sink that adds its
// correction to the noisy middle frame.
#include "tessera/video/denoise_stream.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <stdexcept>
#include <vector>

#include "frame_blocks.hpp"
#include "tessera/ops/space_to_depth.hpp"
#include "tessera/video/sensor_noise.hpp"

namespace tessera::video {

int64_t mirrored_frame(int64_t t, int64_t frames) {
  if (frames == 1) return 0;
  const int64_t period = 2 * (frames - 1);
  t = ((t % period) + period) % period;
  return t < frames ? t : period - t;
}

namespace {

// The clip's frames normalised, each read from its file once: the window slides one frame at a
// time, so the frames it needs next are those it holds (at most the window and one more).
class NormalisedFrames {
 public:
  NormalisedFrames(VolumeSource& clip, const CameraProfile& camera, double photons, int64_t keep)
      : clip_(clip), camera_(camera), photons_(photons), keep_(keep) {}

  // Plane c of frame t, [H, W] floats.
  const float* plane(int64_t t, int64_t c) {
    const Shape& size = clip_.info().size;
    auto at = frames_.find(t);
    if (at == frames_.end()) {
      Tensor frame =
          raw_to_normalised(clip_.read({{t, 0, 0}, {1, size[1], size[2]}}), camera_, photons_);
      while (int64_t(frames_.size()) >= keep_) frames_.erase(frames_.begin());
      at = frames_.emplace(t, std::move(frame)).first;
    }
    return at->second.data() + c * size[1] * size[2];
  }

 private:
  VolumeSource& clip_;
  const CameraProfile& camera_;
  double photons_;
  int64_t keep_;
  std::map<int64_t, Tensor> frames_;  // oldest first: frames only move forward
};

// Rows y0..y0+h, columns x0..x0+w of a [H, W] plane, the edge repeated past it (a frame of odd
// size padded to the pixel shuffle's multiple).
void copy_region(const float* plane, int64_t height, int64_t width, int64_t y0, int64_t x0,
                 int64_t h, int64_t w, float* out) {
  for (int64_t y = 0; y < h; ++y) {
    const float* row = plane + std::min(y0 + y, height - 1) * width;
    for (int64_t x = 0; x < w; ++x) out[y * w + x] = row[std::min(x0 + x, width - 1)];
  }
}

// The network's input for frame t, plane c: the window's frames, then the noise planes, each
// shuffle x shuffle block of pixels made channels (space_to_depth), so the network runs at
// 1/shuffle of the resolution.
class WindowSource final : public VolumeSource {
 public:
  WindowSource(NormalisedFrames& frames, const VolumeInfo& clip, int64_t t, int64_t c,
               const Denoiser& d, std::array<float, 2> noise)
      : frames_(frames),
        t_(t),
        c_(c),
        window_(d.frames),
        shuffle_(d.shuffle),
        count_(clip.size[0]),
        height_(clip.size[1]),
        width_(clip.size[2]),
        noise_(noise) {
    info_.channels = (window_ + 2) * shuffle_ * shuffle_;
    info_.size = {(height_ + shuffle_ - 1) / shuffle_, (width_ + shuffle_ - 1) / shuffle_};
  }
  const VolumeInfo& info() const override { return info_; }
  Tensor read(const Region& region) override {
    const int64_t h = region.size[0] * shuffle_, w = region.size[1] * shuffle_;
    const int64_t y0 = region.origin[0] * shuffle_, x0 = region.origin[1] * shuffle_;
    std::vector<std::vector<float>> planes(size_t(window_), std::vector<float>(size_t(h * w)));
    std::vector<const float*> window;
    for (int64_t f = 0; f < window_; ++f) {
      const int64_t source = mirrored_frame(t_ - window_ / 2 + f, count_);
      copy_region(frames_.plane(source, c_), height_, width_, y0, x0, h, w,
                  planes[size_t(f)].data());
      window.push_back(planes[size_t(f)].data());
    }
    Tensor x = Tensor::empty({1, window_ + 2, h, w});
    stack_window(window, h * w, noise_, x.data());
    return shuffle_ > 1 ? space_to_depth(x, shuffle_) : x;
  }

 private:
  NormalisedFrames& frames_;
  int64_t t_, c_, window_, shuffle_, count_, height_, width_;
  std::array<float, 2> noise_;
  VolumeInfo info_;
};

// Adds each region's correction to the noisy middle frame, into plane c of `frame`.
class CorrectedSink final : public VolumeSink {
 public:
  CorrectedSink(NormalisedFrames& frames, int64_t t, int64_t c, int64_t shuffle, Tensor& frame)
      : frames_(frames), t_(t), c_(c), shuffle_(shuffle), frame_(frame) {}
  void write(const Region& region, const Tensor& correction) override {
    const Tensor full =
        shuffle_ > 1 ? depth_to_space(correction.to_plain(), shuffle_) : correction.to_plain();
    const Tensor plain = full.to_plain();
    const float* d = plain.data();
    const int64_t height = frame_.dim(3), width = frame_.dim(4);
    const int64_t y0 = region.origin[0] * shuffle_, x0 = region.origin[1] * shuffle_;
    const int64_t h = std::min(region.size[0] * shuffle_, height - y0);
    const int64_t w = std::min(region.size[1] * shuffle_, width - x0);
    const int64_t row = region.size[1] * shuffle_;
    const float* noisy = frames_.plane(t_, c_);
    float* out = frame_.data() + c_ * height * width;
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        const int64_t i = (y0 + y) * width + x0 + x;
        out[i] = noisy[i] + d[y * row + x];
      }
  }
  void commit() override {}

 private:
  NormalisedFrames& frames_;
  int64_t t_, c_, shuffle_;
  Tensor& frame_;
};

}  // namespace

int64_t frames_to_denoise(VolumeSource& clip, const StreamOptions& o) {
  require_clip(clip, "the clip", 1);
  if (!(o.photons > 0) || !std::isfinite(o.photons))
    throw std::invalid_argument("the exposure (photons at white) must be above 0");
  const int64_t frames = clip.info().size[0];
  return o.frames > 0 ? std::min(o.frames, frames) : frames;
}

void denoise_frames(Denoiser& d, VolumeSource& clip, const StreamOptions& o,
                    const std::function<void(int64_t, const Tensor&)>& done) {
  const int64_t count = frames_to_denoise(clip, o);
  const VolumeInfo& info = clip.info();
  NormalisedFrames frames(clip, o.camera, o.photons, d.frames + 1);
  const auto noise = noise_levels(o.camera, o.photons);
  TileOptions tile = o.tile;
  std::optional<TilePlan> plan;  // every plane of every frame has the same shape: planned once
  for (int64_t t = 0; t < count; ++t) {
    Tensor frame = Tensor::empty({1, info.channels, 1, info.size[1], info.size[2]});
    for (int64_t c = 0; c < info.channels; ++c) {
      WindowSource window(frames, info, t, c, d, noise);
      if (o.whole) {
        const Region all = Region::whole(window.info().size);
        CorrectedSink(frames, t, c, d.shuffle, frame)
            .write(all, run_whole(*d.network, window.read(all)));
        continue;
      }
      const TileReport r = run_tiled(
          *d.network, window,
          [&](int64_t) { return std::make_unique<CorrectedSink>(frames, t, c, d.shuffle, frame); },
          tile);
      if (!plan) {
        plan = r.plan;
        tile.plan = &*plan;
        tile.progress = false;
      }
    }
    done(t, frame);
  }
}

void filter_frames(VolumeSource& clip, const StreamOptions& o, int64_t window,
                   const PlaneFilter& filter,
                   const std::function<void(int64_t, const Tensor&)>& done) {
  const int64_t count = frames_to_denoise(clip, o);
  const VolumeInfo& info = clip.info();
  NormalisedFrames frames(clip, o.camera, o.photons, window + 1);
  const int h = int(info.size[1]), w = int(info.size[2]);
  for (int64_t t = 0; t < count; ++t) {
    Tensor frame = Tensor::empty({1, info.channels, 1, info.size[1], info.size[2]});
    for (int64_t c = 0; c < info.channels; ++c) {
      std::vector<cv::Mat> planes;
      for (int64_t f = 0; f < window; ++f) {
        const float* p = frames.plane(mirrored_frame(t - window / 2 + f, info.size[0]), c);
        planes.emplace_back(h, w, CV_32F, const_cast<float*>(p));
      }
      cv::Mat destination(h, w, CV_32F, frame.data() + c * h * w);
      filter(planes).copyTo(destination);
    }
    done(t, frame);
  }
}

double exposure_of_clip(VolumeSource& clip, const CameraProfile& camera) {
  require_clip(clip, "the clip", 1);
  std::vector<float> values;
  for_each_frame_block(clip, 4, 8, [&](int64_t, const Tensor& block) {
    const float* p = block.data();
    for (int64_t i = 0; i < block.numel(); ++i)
      values.push_back(float((p[i] - camera.black_level) / camera.gain));
  });
  const size_t k = std::min(values.size() - 1, size_t(0.995 * double(values.size())));
  std::nth_element(values.begin(), values.begin() + std::ptrdiff_t(k), values.end());
  return std::max(1.0, double(values[k]));
}

}  // namespace tessera::video
