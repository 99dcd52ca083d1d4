// HDF5 datasets, read and written by hyperslab: only the region asked for is read or written,
// so neither side needs the whole dataset in memory.
//
// Axes: 2D dataset = y,x; 3D = z,y,x; 4D = c,z,y,x. A 3D dataset whose "axes" attribute is
// "cyx" (this sink writes that for multi-channel 2D volumes) has its channels first.
#include <H5Cpp.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <vector>

#include "format_common.hpp"

namespace tessera::formats {

namespace {

constexpr const char* kAxesAttr = "axes";
// CREMI's name for the voxel size per spatial axis (z,y,x); kept as VolumeInfo::spacing.
constexpr const char* kResolutionAttr = "resolution";
constexpr int64_t kChunkEdge = 64;
// Tiled inference streams volumes along z a few slices at a time: thin chunks along z keep a
// slab of them across a wide cross-section within the chunk cache.
constexpr int64_t kChunkDepth = 8;
// Chunk caches hold a slab of chunks (slab_cache), so that a partly written or partly read
// chunk waits for its other rows instead of being compressed, evicted and decompressed again;
// bounded: part of the memory the run holds.
constexpr size_t kMinChunkCacheBytes = size_t{1} << 20;  // HDF5's default
constexpr size_t kMaxChunkCacheBytes = size_t{32} << 20;
constexpr size_t kChunkCacheSlots = 12421;  // a prime, as HDF5 advises

// HDF5's metadata cache grows with the number of chunks (up to 32 MiB per file by default);
// a small bound keeps a huge volume's memory what a small one's is.
constexpr size_t kMetadataCacheBytes = size_t{2} << 20;
constexpr size_t kFreeListBytes = size_t{4} << 20;

H5::FileAccPropList bounded_access() {
  // HDF5 keeps freed blocks on free lists of its own, unbounded by default: a volume of many
  // chunks would keep every B-tree node it ever touched. Bounded once for the process.
  static const bool limited = [] {
    H5set_free_list_limits(kFreeListBytes, kFreeListBytes / 4, kFreeListBytes, kFreeListBytes / 4,
                           kFreeListBytes, kFreeListBytes / 4);
    return true;
  }();
  (void)limited;
  H5::FileAccPropList fapl;
  H5AC_cache_config_t config;
  config.version = H5AC__CURR_CACHE_CONFIG_VERSION;
  H5Pget_mdc_config(fapl.getId(), &config);
  config.set_initial_size = true;
  config.initial_size = kMetadataCacheBytes / 2;
  config.min_size = std::min(config.min_size, kMetadataCacheBytes / 2);
  config.max_size = kMetadataCacheBytes;
  H5Pset_mdc_config(fapl.getId(), &config);
  // Files written in the 1.10 format index a fixed-size dataset's chunks with a fixed array:
  // one small index instead of a B-tree that grows node by node with the chunks.
  H5Pset_libver_bounds(fapl.getId(), H5F_LIBVER_V110, H5F_LIBVER_LATEST);
  return fapl;
}

// A chunk cache that holds one slab of chunks: one chunk deep along the first spatial axis,
// across all of the others and every channel. That is what a volume streamed along that axis
// (tiled inference; a thin stack streamed along y needs less) has half read or half written at
// a time; finished chunks go first (w0 = 1), so what stays is the slab being worked on.
H5::DSetAccPropList slab_cache(const std::vector<hsize_t>& dims, const std::vector<hsize_t>& chunk,
                               size_t first_spatial, size_t element_bytes) {
  size_t bytes = element_bytes;
  for (size_t a = 0; a < dims.size(); ++a)
    bytes *= a == first_spatial ? chunk[a] : (dims[a] + chunk[a] - 1) / chunk[a] * chunk[a];
  H5::DSetAccPropList dapl;
  dapl.setChunkCache(kChunkCacheSlots, std::clamp(bytes, kMinChunkCacheBytes, kMaxChunkCacheBytes),
                     1.0);
  return dapl;
}

std::string h5_message(const H5::Exception& e) {
  return one_line(e.getDetailMsg());
}

// A file being written whose output is dropped (a write failed, or the sink goes without
// commit): its descriptor is pointed at a scratch file, so that closing it cannot fail. HDF5
// 1.10 frees a file whose close fails but keeps its id, and crashes closing it again (in the
// C++ destructor, or at exit); on a full disk every close flushes, and fails. The
// scratch is anonymous memory, resizable as the close needs; where the process may not grow files
// that far (RLIMIT_FSIZE), /dev/null, which takes any write (the data left dirty by the failure is
// written to it, which reaches the end of the file).
void abandon(const H5::H5File& file) {
  void* handle = nullptr;
  if (H5Fget_vfd_handle(file.getId(), H5P_DEFAULT, &handle) < 0 || !handle) return;
  rlimit limit{};
  const bool may_grow = getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur == RLIM_INFINITY;
  const int scratch = may_grow ? memfd_create("tessera-abandoned-h5", MFD_CLOEXEC)
                               : open("/dev/null", O_RDWR | O_CLOEXEC);
  if (scratch < 0) return;
  dup2(scratch, *static_cast<int*>(handle));
  close(scratch);
}

std::vector<hsize_t> to_hsize(const Shape& s) {
  return {s.begin(), s.end()};
}

// Dataset paths below `g`, for the "no such dataset" message; capped so a huge file stays short.
void list_datasets(const H5::Group& g, const std::string& prefix, std::vector<std::string>& out) {
  for (hsize_t i = 0; i < g.getNumObjs() && out.size() < 20; ++i) {
    const std::string name = g.getObjnameByIdx(i);
    const H5O_type_t type = g.childObjType(name);
    if (type == H5O_TYPE_DATASET) out.push_back(prefix + name);
    if (type == H5O_TYPE_GROUP) list_datasets(g.openGroup(name), prefix + name + "/", out);
  }
}

H5::DataSet open_dataset(const H5::H5File& file, const std::string& path,
                         const std::string& dataset) {
  try {
    return file.openDataSet(dataset);
  } catch (const H5::Exception&) {
    std::vector<std::string> names;
    try {
      list_datasets(file.openGroup("/"), "", names);
    } catch (const H5::Exception& e) {
      throw std::runtime_error("'" + path + "': no readable dataset '" + dataset + "' (" +
                               h5_message(e) + ")");
    }
    std::string have;
    for (const auto& n : names) have += (have.empty() ? "" : ", ") + n;
    throw std::runtime_error("'" + path + "': no dataset '" + dataset +
                             "' (datasets: " + (have.empty() ? "none" : have) + ")");
  }
}

std::string type_name(const H5::DataSet& ds) {
  const std::string bits = std::to_string(ds.getDataType().getSize() * 8);
  if (ds.getTypeClass() == H5T_FLOAT) return "float" + bits;
  return (ds.getIntType().getSign() == H5T_SGN_NONE ? "uint" : "int") + bits;
}

std::string read_axes(const H5::DataSet& ds) {
  if (!ds.attrExists(kAxesAttr)) return "";
  const H5::Attribute a = ds.openAttribute(kAxesAttr);
  std::string axes;
  a.read(a.getStrType(), axes);
  return axes;
}

// The dataset's scalar string attributes but "axes" (VolumeInfo::attributes).
std::map<std::string, std::string> read_text_attributes(const H5::DataSet& ds) {
  std::map<std::string, std::string> out;
  for (int i = 0; i < ds.getNumAttrs(); ++i) {
    const H5::Attribute a = ds.openAttribute(static_cast<unsigned>(i));
    const std::string name = a.getName();
    if (name == kAxesAttr || a.getTypeClass() != H5T_STRING ||
        a.getSpace().getSimpleExtentNpoints() != 1)
      continue;
    a.read(a.getStrType(), out[name]);
  }
  return out;
}

void write_text_attribute(H5::DataSet& ds, const std::string& name, const std::string& value) {
  const H5::StrType str_type(H5::PredType::C_S1, H5T_VARIABLE);
  ds.createAttribute(name, str_type, H5::DataSpace(H5S_SCALAR)).write(str_type, value);
}

std::vector<double> read_spacing(const H5::DataSet& ds, size_t axes) {
  if (!ds.attrExists(kResolutionAttr)) return {};
  const H5::Attribute a = ds.openAttribute(kResolutionAttr);
  if (a.getSpace().getSimpleExtentNpoints() != static_cast<hssize_t>(axes)) return {};
  std::vector<double> spacing(axes);
  a.read(H5::PredType::NATIVE_DOUBLE, spacing.data());
  return spacing;
}

template <typename T>
const H5::PredType& memory_type() {
  if constexpr (std::is_same_v<T, uint8_t>) {
    return H5::PredType::NATIVE_UINT8;
  } else if constexpr (std::is_same_v<T, uint16_t>) {
    return H5::PredType::NATIVE_UINT16;
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    return H5::PredType::NATIVE_UINT64;
  } else {
    static_assert(std::is_same_v<T, float>);
    return H5::PredType::NATIVE_FLOAT;
  }
}

// The file selection of `region` (all channels when the dataset has a channel axis) and a
// matching contiguous memory space.
struct Selection {
  H5::DataSpace file, memory;
};

Selection select(const H5::DataSet& ds, const Region& region, bool channel_axis, int64_t channels) {
  Shape offset = region.origin, count = region.size;
  if (channel_axis) {
    offset.insert(offset.begin(), 0);
    count.insert(count.begin(), channels);
  }
  const auto h_offset = to_hsize(offset), h_count = to_hsize(count);
  Selection s{ds.getSpace(), H5::DataSpace(static_cast<int>(h_count.size()), h_count.data())};
  s.file.selectHyperslab(H5S_SELECT_SET, h_count.data(), h_offset.data());
  return s;
}

class Hdf5Source final : public VolumeSource {
 public:
  Hdf5Source(const std::string& path, const std::string& dataset);
  const VolumeInfo& info() const override { return info_; }
  Tensor read(const Region& region) override;

 private:
  void read_layout(const std::string& dataset);

  std::string name_;  // file.h5:dataset, for messages
  H5::H5File file_;
  H5::DataSet dataset_;
  bool channel_axis_ = false;
  VolumeInfo info_;
};

Hdf5Source::Hdf5Source(const std::string& path, const std::string& dataset)
    : name_(path + ":" + dataset) {
  H5::Exception::dontPrint();  // failures become exceptions with their own message
  try {
    file_.openFile(path, H5F_ACC_RDONLY, bounded_access());
  } catch (const H5::Exception& e) {
    throw std::runtime_error("'" + path + "': not a readable HDF5 file (" + h5_message(e) + ")");
  }
  dataset_ = open_dataset(file_, path, dataset);
  try {
    read_layout(dataset);
  } catch (const H5::Exception& e) {
    throw std::runtime_error("'" + name_ + "': unreadable dataset (" + h5_message(e) + ")");
  }
}

void Hdf5Source::read_layout(const std::string& dataset) {
  const H5::DataSpace space = dataset_.getSpace();
  const int rank = space.getSimpleExtentNdims();
  if (rank < 2 || rank > 4)
    throw std::runtime_error("'" + name_ + "': dataset of rank " + std::to_string(rank) +
                             " (expected 2D y,x, 3D z,y,x or 4D c,z,y,x)");
  const H5T_class_t cls = dataset_.getTypeClass();
  if (cls != H5T_INTEGER && cls != H5T_FLOAT)
    throw std::runtime_error("'" + name_ + "': element type is neither integer nor float");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  space.getSimpleExtentDims(dims.data());
  channel_axis_ = rank == 4 || (rank == 3 && read_axes(dataset_) == "cyx");
  info_.channels = channel_axis_ ? static_cast<int64_t>(dims[0]) : 1;
  info_.size.assign(dims.begin() + (channel_axis_ ? 1 : 0), dims.end());
  require_sensible_size(info_, name_);
  info_.spacing = read_spacing(dataset_, info_.size.size());
  info_.attributes = read_text_attributes(dataset_);
  info_.description = type_name(dataset_) + " HDF5 dataset " + dataset;
  const H5::DSetCreatPropList dcpl = dataset_.getCreatePlist();
  if (dcpl.getLayout() == H5D_CHUNKED) {
    std::vector<hsize_t> chunk(static_cast<size_t>(rank));
    dcpl.getChunk(rank, chunk.data());
    dataset_ = file_.openDataSet(
        dataset, slab_cache(dims, chunk, channel_axis_ ? 1 : 0, dataset_.getDataType().getSize()));
  }
}

Tensor Hdf5Source::read(const Region& region) {
  require_inside(info_, region, name_);
  Tensor out = Tensor::empty(tensor_shape(info_.channels, region.size));
  if (region.empty()) return out;
  try {
    const Selection s = select(dataset_, region, channel_axis_, info_.channels);
    dataset_.read(out.data(), H5::PredType::NATIVE_FLOAT, s.memory, s.file);
  } catch (const H5::Exception& e) {
    throw std::runtime_error("'" + name_ + "': cannot read region " + region.str() + " (" +
                             h5_message(e) + ")");
  }
  return out;
}

class Hdf5Sink final : public VolumeSink {
 public:
  Hdf5Sink(const std::string& path, const std::string& dataset, const VolumeInfo& like,
           int64_t channels, DType type);
  ~Hdf5Sink() override;
  void write(const Region& region, const Tensor& data) override;
  void commit() override;

 private:
  void create(const std::string& dataset, const VolumeInfo& like);
  void close_abandoned() noexcept;
  template <typename T>
  void write_as(const Region& region, const float* values);

  std::string name_;
  AtomicFile atomic_;  // declared before the HDF5 handles: they close before it removes the temp
  VolumeInfo info_;
  DType type_;
  bool channel_axis_;
  H5::H5File file_;
  H5::DataSet dataset_;
  bool committed_ = false;
};

Hdf5Sink::Hdf5Sink(const std::string& path, const std::string& dataset, const VolumeInfo& like,
                   int64_t channels, DType type)
    : name_(path + ":" + dataset),
      atomic_(path),
      info_{channels, like.size, like.spacing, std::string(dtype_name(type)) + " HDF5 dataset"},
      type_(type),
      channel_axis_(channels > 1) {
  H5::Exception::dontPrint();
  try {
    file_ = H5::H5File(atomic_.temp_path(), H5F_ACC_TRUNC, H5::FileCreatPropList::DEFAULT,
                       bounded_access());
    create(dataset, like);
  } catch (const H5::Exception& e) {
    close_abandoned();
    throw std::runtime_error("'" + name_ + "': cannot create (" + h5_message(e) + ")");
  }
}

Hdf5Sink::~Hdf5Sink() {
  if (!committed_) close_abandoned();
}

// Closes the handles of an output that will not be committed; see abandon().
void Hdf5Sink::close_abandoned() noexcept {
  try {
    if (file_.getId() > 0) abandon(file_);
    dataset_.close();
    file_.close();
  } catch (const H5::Exception&) {  // nothing to save: the temporary is removed regardless
  }
}

void Hdf5Sink::create(const std::string& dataset, const VolumeInfo& like) {
  Shape dims = info_.size, chunk = info_.size;
  for (auto& c : chunk) c = std::min(c, kChunkEdge);
  if (chunk.size() == 3) chunk[0] = std::min(info_.size[0], kChunkDepth);
  if (channel_axis_) {
    dims.insert(dims.begin(), info_.channels);
    chunk.insert(chunk.begin(), 1);
  }
  const auto h_dims = to_hsize(dims), h_chunk = to_hsize(chunk);
  H5::DSetCreatPropList dcpl;
  dcpl.setChunk(static_cast<int>(h_chunk.size()), h_chunk.data());
  dcpl.setDeflate(1);
  const size_t element_bytes = with_dtype(type_, [](auto tag) { return sizeof(tag); });
  const H5::DSetAccPropList dapl =
      slab_cache(h_dims, h_chunk, channel_axis_ ? 1 : 0, element_bytes);
  H5::LinkCreatPropList lcpl;  // "a/b/raw" creates the groups a and a/b
  H5Pset_create_intermediate_group(lcpl.getId(), 1);
  const H5::DataSpace space(static_cast<int>(h_dims.size()), h_dims.data());
  with_dtype(type_, [&](auto tag) {
    dataset_ = file_.createDataSet(dataset, memory_type<decltype(tag)>(), space, dcpl, dapl, lcpl);
  });
  const bool is_2d = info_.size.size() == 2;
  const std::string axes = channel_axis_ ? (is_2d ? "cyx" : "czyx") : (is_2d ? "yx" : "zyx");
  write_text_attribute(dataset_, kAxesAttr, axes);
  for (const auto& [name, value] : like.attributes)
    if (name != kAxesAttr && name != kResolutionAttr) write_text_attribute(dataset_, name, value);
  if (like.spacing.empty()) return;
  const hsize_t n = like.spacing.size();
  dataset_.createAttribute(kResolutionAttr, H5::PredType::NATIVE_DOUBLE, H5::DataSpace(1, &n))
      .write(H5::PredType::NATIVE_DOUBLE, like.spacing.data());
}

void Hdf5Sink::write(const Region& region, const Tensor& data) {
  require_inside(info_, region, name_);
  require_data(info_, region, data, name_);
  if (region.empty()) return;
  const Tensor plain = data.to_plain();
  try {
    with_dtype(type_, [&](auto tag) { write_as<decltype(tag)>(region, plain.data()); });
  } catch (const H5::Exception& e) {
    throw std::runtime_error("'" + name_ + "': cannot write region " + region.str() + " (" +
                             h5_message(e) + ")");
  }
}

template <typename T>
void Hdf5Sink::write_as(const Region& region, const float* values) {
  const Selection s = select(dataset_, region, channel_axis_, info_.channels);
  if constexpr (std::is_same_v<T, float>) {
    dataset_.write(values, memory_type<T>(), s.memory, s.file);
  } else {
    std::vector<T> stored(static_cast<size_t>(info_.channels * region.voxels()));
    std::transform(values, values + stored.size(), stored.begin(), to_stored<T>);
    dataset_.write(stored.data(), memory_type<T>(), s.memory, s.file);
  }
}

void Hdf5Sink::commit() {
  // Everything is flushed while the file is open, so that a full disk shows here; the sink's
  // destructor then abandons the file (see abandon()) before closing it.
  try {
    file_.flush(H5F_SCOPE_GLOBAL);
    dataset_.close();
    file_.close();
  } catch (const H5::Exception& e) {
    throw std::runtime_error("'" + name_ + "': cannot finish writing (" + h5_message(e) + ")");
  }
  atomic_.commit();
  committed_ = true;
}

}  // namespace

std::unique_ptr<VolumeSource> open_hdf5(const std::string& path, const std::string& dataset) {
  return std::make_unique<Hdf5Source>(path, dataset);
}

std::unique_ptr<VolumeSink> create_hdf5(const std::string& path, const std::string& dataset,
                                        const VolumeInfo& like, int64_t channels, DType type) {
  return std::make_unique<Hdf5Sink>(path, dataset, like, channels, type);
}

}  // namespace tessera::formats
