// ITK images: MetaImage (.mha .mhd), NRRD (.nrrd .nhdr), NIfTI (.nii .nii.gz). Pixel
// components are channels; any scalar component type reads as float. (TIFF is libtiff's, in
// tiff_volume.cpp: ITK 5.2's TIFF reader cannot stream.)
//
// What streams by region and what does not (decided at run time by the ImageIO, ITK 5.2):
//   reading  - MetaImage (uncompressed) streams: ImageFileReader reads only the requested
//              region. NRRD, NIfTI and compressed MetaImage cannot stream, so the whole
//              image is read once, on the first read(), and regions are copied from it.
//   writing  - NRRD and MetaImage are compressed (zlib), .nii.gz too (by its name). NRRD,
//              NIfTI and compressed MetaImage cannot paste, so regions are assembled in memory
//              and the image is written at commit() by ImageFileWriter. A MetaImage too large
//              to assemble (over kMaxAssembledBytes) is written uncompressed and streams: each
//              write() pastes its region into the file (the ImageIO's IORegion, as
//              ImageFileWriter::SetIORegion would set it).
//   checking - ITK's readers and writers report neither a short nor a corrupt data block, so
//              the data a header promises is checked against the file (itk_complete.cpp)
//              before a file is read, and after one is written, before it is renamed into
//              place: a full disk is an error, never a file that reads back as zeros.
#include <itkImageFileReader.h>
#include <itkImageFileWriter.h>
#include <itkMetaImageIO.h>
#include <itkNiftiImageIO.h>
#include <itkNrrdImageIO.h>
#include <itkVectorImage.h>

#include <algorithm>
#include <iostream>
#include <stdexcept>
#include <streambuf>
#include <vector>

#include "format_common.hpp"

namespace tessera::formats {

namespace {

// ImageIOs are made directly rather than through ITK's factories: the factories need ITK's
// registration headers, and the writer must not guess the format from the temporary's name.
itk::ImageIOBase::Pointer make_io(const std::string& ext) {
  if (ext == ".mha" || ext == ".mhd") return itk::MetaImageIO::New().GetPointer();
  if (ext == ".nrrd" || ext == ".nhdr") return itk::NrrdImageIO::New().GetPointer();
  return itk::NiftiImageIO::New().GetPointer();
}

// The largest image a MetaImage writer assembles in memory to compress it; larger ones stream
// to the file uncompressed, region by region.
constexpr uint64_t kMaxAssembledBytes = uint64_t{1} << 30;

// Whether a file of `bytes` of image data is written compressed (NIfTI: by its name, .nii.gz).
bool compresses(const std::string& ext, uint64_t bytes) {
  if (ext == ".nrrd" || ext == ".nhdr") return true;
  return (ext == ".mha" || ext == ".mhd") && bytes <= kMaxAssembledBytes;
}

// The temporary's extension. .mhd and .nhdr are written as their one-file forms (.mha, .nrrd)
// under the .mhd / .nhdr name: a detached header names its data file, and that name would be
// the temporary's, which stops existing at commit(). Both readers accept embedded data.
std::string staged_extension(const std::string& ext) {
  if (ext == ".mhd") return ".mha";
  if (ext == ".nhdr") return ".nrrd";
  return ext;
}

// MetaIO prints its failures to std::cerr as well as returning them; while it works they are
// dropped, since they reach the user as this file's one-line error.
class QuietCerr {
 public:
  QuietCerr() : saved_(std::cerr.rdbuf(&sink_)) {}
  ~QuietCerr() { std::cerr.rdbuf(saved_); }
  QuietCerr(const QuietCerr&) = delete;
  QuietCerr& operator=(const QuietCerr&) = delete;

 private:
  struct Discard : std::streambuf {
    int overflow(int c) override { return traits_type::not_eof(c); }
  } sink_;
  std::streambuf* saved_;
};

std::string itk_message(const itk::ExceptionObject& e) {
  return one_line(e.GetDescription());
}

// ITK orders axes x, y(, z); tensors and Regions order them (z,) y, x.
template <unsigned D>
itk::ImageRegion<D> to_itk(const Region& r) {
  itk::ImageRegion<D> out;
  for (unsigned i = 0; i < D; ++i) {
    out.SetIndex(i, r.origin[D - 1 - i]);
    out.SetSize(i, static_cast<itk::SizeValueType>(r.size[D - 1 - i]));
  }
  return out;
}

template <unsigned D>
Region from_itk(const itk::ImageRegion<D>& r) {
  Region out{Shape(D), Shape(D)};
  for (unsigned i = 0; i < D; ++i) {
    out.origin[D - 1 - i] = r.GetIndex(i);
    out.size[D - 1 - i] = static_cast<int64_t>(r.GetSize(i));
  }
  return out;
}

template <unsigned D>
itk::ImageIORegion to_io_region(const Region& r) {
  itk::ImageIORegion out(D);
  const auto region = to_itk<D>(r);
  for (unsigned i = 0; i < D; ++i) {
    out.SetIndex(i, region.GetIndex(i));
    out.SetSize(i, region.GetSize(i));
  }
  return out;
}

// A 2D region as a 3D one with a single slice, so the copies below have one loop nest.
Region as_3d(const Region& r) {
  Region out = r;
  while (out.size.size() < 3) {
    out.origin.insert(out.origin.begin(), 0);
    out.size.insert(out.size.begin(), 1);
  }
  return out;
}

// ITK buffers interleave components per pixel (x fastest); tensors are planar [C, z, y, x].
// `buffer` holds `have`; `region` lies inside it.
void interleaved_to_planar(const float* buffer, const Region& have, const Region& region,
                           int64_t channels, float* out) {
  const Region h = as_3d(have), r = as_3d(region);
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t z = 0; z < r.size[0]; ++z)
      for (int64_t y = 0; y < r.size[1]; ++y) {
        const int64_t row =
            ((r.origin[0] + z - h.origin[0]) * h.size[1] + r.origin[1] + y - h.origin[1]) *
                h.size[2] +
            r.origin[2] - h.origin[2];
        for (int64_t x = 0; x < r.size[2]; ++x) *out++ = buffer[(row + x) * channels + c];
      }
}

template <typename T>
void planar_to_interleaved(const float* in, int64_t voxels, int64_t channels, T* buffer) {
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t v = 0; v < voxels; ++v) buffer[v * channels + c] = to_stored<T>(*in++);
}

template <unsigned D>
class ItkSource final : public VolumeSource {
  using Image = itk::VectorImage<float, D>;

 public:
  ItkSource(std::string path, itk::ImageIOBase::Pointer io, VolumeInfo info)
      : path_(std::move(path)),
        io_(std::move(io)),
        streams_(io_->CanStreamRead()),
        info_(std::move(info)) {}
  const VolumeInfo& info() const override { return info_; }

  Tensor read(const Region& region) override {
    require_inside(info_, region, path_);
    if (region.empty()) return Tensor::empty(tensor_shape(info_.channels, region.size));
    if (streams_) return read_itk(region);
    if (!cache_) cache_ = std::make_unique<TensorSource>(read_itk({Shape(D, 0), info_.size}));
    return cache_->read(region);
  }

 private:
  Tensor read_itk(const Region& region) {
    auto reader = itk::ImageFileReader<Image>::New();
    reader->SetImageIO(io_);
    reader->SetFileName(path_);
    Image* image = reader->GetOutput();
    try {
      reader->UpdateOutputInformation();
      image->SetRequestedRegion(to_itk<D>(region));
      reader->Update();
    } catch (const itk::ExceptionObject& e) {
      throw std::runtime_error("'" + path_ + "': cannot read region " + region.str() + " (" +
                               itk_message(e) + ")");
    }
    Tensor out = Tensor::empty(tensor_shape(info_.channels, region.size));
    interleaved_to_planar(image->GetBufferPointer(), from_itk<D>(image->GetBufferedRegion()),
                          region, info_.channels, out.data());
    return out;
  }

  std::string path_;
  itk::ImageIOBase::Pointer io_;
  bool streams_;
  VolumeInfo info_;
  std::unique_ptr<TensorSource> cache_;  // the whole image, when the IO cannot stream
};

template <typename T, unsigned D>
class ItkSink final : public VolumeSink {
  using Image = itk::VectorImage<T, D>;

 public:
  ItkSink(const std::string& path, const std::string& ext, const VolumeInfo& like, int64_t channels)
      : path_(path),
        staged_ext_(staged_extension(ext)),
        staged_(path, staged_ext_),
        io_(make_io(ext)),
        info_{channels, like.size, like.spacing, ""},
        bytes_(static_cast<uint64_t>(channels * product(like.size)) * sizeof(T)) {
    io_->SetUseCompression(compresses(ext, bytes_));
    streams_ = io_->CanStreamWrite();
    if (!streams_) assembled_ = std::make_unique<TensorSink>(channels, like.size);
  }

  void write(const Region& region, const Tensor& data) override {
    require_inside(info_, region, path_);
    require_data(info_, region, data, path_);
    if (!streams_) return assembled_->write(region, data);
    if (!region.empty()) paste(region, data.to_plain().data());
    pasted_ = true;
  }

  void commit() override {
    const Region whole{Shape(D, 0), info_.size};
    if (!streams_) {
      write_whole(assembled_->result().data());
    } else if (!pasted_) {  // a streamed file exists once a region is pasted; none was: zeros
      paste(whole, Tensor::zeros(tensor_shape(info_.channels, info_.size)).data());
    }
    require_written();
    staged_.commit();
  }

 private:
  // Streaming: the region goes straight to the ImageIO with its IORegion set (MetaImage then
  // writes just that part of the file, creating it on the first paste). ImageFileWriter is
  // bypassed because its paste check warns on every call that a VectorImage's pixel type
  // (variable-length vector) differs from the file's (scalar or vector).
  void paste(const Region& region, const float* values) {
    std::vector<T> buffer(static_cast<size_t>(region.voxels() * info_.channels));
    planar_to_interleaved(values, region.voxels(), info_.channels, buffer.data());
    io_->SetFileName(staged_.temp_path());
    io_->SetNumberOfDimensions(D);
    for (unsigned i = 0; i < D; ++i) {
      io_->SetDimensions(i, static_cast<itk::SizeValueType>(info_.size[D - 1 - i]));
      io_->SetSpacing(i, info_.spacing.empty() ? 1.0 : info_.spacing[D - 1 - i]);
      io_->SetOrigin(i, 0.0);
    }
    io_->SetPixelType(info_.channels == 1 ? itk::IOPixelEnum::SCALAR : itk::IOPixelEnum::VECTOR);
    io_->SetComponentType(itk::ImageIOBase::MapPixelType<T>::CType);
    io_->SetNumberOfComponents(static_cast<unsigned>(info_.channels));
    io_->SetIORegion(to_io_region<D>(region));
    io_->SetUseStreamedWriting(true);
    try {
      const QuietCerr quiet;
      io_->Write(buffer.data());
    } catch (const itk::ExceptionObject& e) {
      throw std::runtime_error("'" + path_ + "': cannot write region " + region.str() + " (" +
                               itk_message(e) + ")");
    }
  }

  // The file as written holds all the data its header promises (ITK's writers do not check
  // their streams: on a full disk they leave a short file and report success).
  void require_written() const {
    try {
      require_complete_data(staged_.temp_path(), staged_ext_, bytes_);
    } catch (const std::runtime_error&) {
      throw std::runtime_error("'" + path_ +
                               "': cannot write: the file came out short of its image data "
                               "(is the disk full?)");
    }
  }

  // Not streaming: the assembled image, written whole by ImageFileWriter.
  void write_whole(const float* values) {
    const Region whole{Shape(D, 0), info_.size};
    auto image = Image::New();
    image->SetRegions(to_itk<D>(whole));
    image->SetNumberOfComponentsPerPixel(static_cast<unsigned>(info_.channels));
    if (!info_.spacing.empty()) {
      typename Image::SpacingType spacing;
      for (unsigned i = 0; i < D; ++i) spacing[i] = info_.spacing[D - 1 - i];
      image->SetSpacing(spacing);
    }
    image->Allocate();
    planar_to_interleaved(values, whole.voxels(), info_.channels, image->GetBufferPointer());
    auto writer = itk::ImageFileWriter<Image>::New();
    writer->SetImageIO(io_);
    writer->SetFileName(staged_.temp_path());
    writer->SetInput(image);
    writer->SetUseCompression(io_->GetUseCompression());  // the writer's setting overrides the IO's
    try {
      const QuietCerr quiet;
      writer->Update();
    } catch (const itk::ExceptionObject& e) {
      throw std::runtime_error("'" + path_ + "': cannot write (" + itk_message(e) + ")");
    }
  }

  std::string path_;
  std::string staged_ext_;
  AtomicFile staged_;  // its temporary keeps the extension ITK picks the encoding from
  itk::ImageIOBase::Pointer io_;
  VolumeInfo info_;
  uint64_t bytes_;        // of image data, as stored
  bool streams_ = false;  // pastes each region into the file; otherwise assembles in memory
  bool pasted_ = false;
  std::unique_ptr<TensorSink> assembled_;
};

VolumeInfo read_info(const std::string& path, itk::ImageIOBase& io) {
  const unsigned dims = io.GetNumberOfDimensions();
  if (dims < 2 || dims > 3)
    throw std::runtime_error("'" + path + "': " + std::to_string(dims) +
                             "D image (only 2D and 3D are supported)");
  const auto pixel = io.GetPixelType();
  using P = itk::IOPixelEnum;
  if (pixel != P::SCALAR && pixel != P::RGB && pixel != P::RGBA && pixel != P::VECTOR)
    throw std::runtime_error("'" + path + "': unsupported pixel type " +
                             itk::ImageIOBase::GetPixelTypeAsString(pixel));
  VolumeInfo info;
  info.channels = io.GetNumberOfComponents();
  for (unsigned i = dims; i-- > 0;) {
    info.size.push_back(static_cast<int64_t>(io.GetDimensions(i)));
    info.spacing.push_back(io.GetSpacing(i));
  }
  info.description =
      itk::ImageIOBase::GetComponentTypeAsString(io.GetComponentType()) + " " + io.GetNameOfClass();
  return info;
}

}  // namespace

std::unique_ptr<VolumeSource> open_itk(const std::string& path, const std::string& ext) {
  itk::ImageIOBase::Pointer io = make_io(ext);
  if (!io->CanReadFile(path.c_str()))
    throw std::runtime_error("'" + path + "': not a readable " + io->GetNameOfClass() + " file");
  VolumeInfo info;
  try {
    io->SetFileName(path);
    io->ReadImageInformation();
    info = read_info(path, *io);
  } catch (const itk::ExceptionObject& e) {
    throw std::runtime_error("'" + path + "': unreadable header (" + itk_message(e) + ")");
  }
  require_sensible_size(info, path);
  require_complete_data(path, ext, io->GetImageSizeInBytes());
  if (info.size.size() == 2) return std::make_unique<ItkSource<2>>(path, io, std::move(info));
  return std::make_unique<ItkSource<3>>(path, io, std::move(info));
}

std::unique_ptr<VolumeSink> create_itk(const std::string& path, const std::string& ext,
                                       const VolumeInfo& like, int64_t channels, DType type) {
  return with_dtype(type, [&](auto tag) -> std::unique_ptr<VolumeSink> {
    using T = decltype(tag);
    if (like.size.size() == 2) return std::make_unique<ItkSink<T, 2>>(path, ext, like, channels);
    return std::make_unique<ItkSink<T, 3>>(path, ext, like, channels);
  });
}

}  // namespace tessera::formats
