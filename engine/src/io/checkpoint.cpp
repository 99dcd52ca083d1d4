#include "tessera/io/checkpoint.hpp"

#include <H5Cpp.h>

#include <filesystem>
#include <stdexcept>

#include "tessera/io/atomic_file.hpp"
#include "tessera/io/json_text.hpp"
#include "tessera/model/registry.hpp"

namespace tessera {

namespace {

using json = nlohmann::json;
constexpr const char* kFormat = "tessera-checkpoint";
constexpr int64_t kVersion = 1;

void write_string_attr(H5::H5Object& obj, const char* name, const std::string& value) {
  H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
  obj.createAttribute(name, type, H5::DataSpace(H5S_SCALAR)).write(type, value);
}

// The attribute `name`, which must exist and be of type class `cls` (a crafted file may hold
// anything under any name).
H5::Attribute open_attr(const H5::H5Object& obj, const char* name, H5T_class_t cls,
                        const std::string& file) {
  if (!obj.attrExists(name))
    throw std::runtime_error("checkpoint '" + file + "': attribute '" + name + "' is missing");
  H5::Attribute a = obj.openAttribute(name);
  if (a.getTypeClass() != cls || a.getSpace().getSimpleExtentNpoints() != 1)
    throw std::runtime_error("checkpoint '" + file + "': attribute '" + name + "' is not a " +
                             (cls == H5T_STRING ? "string" : "single integer"));
  return a;
}

std::string read_string_attr(const H5::H5Object& obj, const char* name, const std::string& file) {
  H5::Attribute a = open_attr(obj, name, H5T_STRING, file);
  std::string value;
  a.read(a.getStrType(), value);
  return value;
}

void write_int_attr(H5::H5Object& obj, const char* name, int64_t value) {
  obj.createAttribute(name, H5::PredType::NATIVE_INT64, H5::DataSpace(H5S_SCALAR))
      .write(H5::PredType::NATIVE_INT64, &value);
}

int64_t read_int_attr(const H5::H5Object& obj, const char* name, const std::string& file) {
  int64_t v = 0;
  open_attr(obj, name, H5T_INTEGER, file).read(H5::PredType::NATIVE_INT64, &v);
  return v;
}

void write_tensor(H5::H5File& f, const std::string& path, const Tensor& t) {
  const Tensor p = t.to_host_plain();  // a model trained on a GPU saves the same
  std::vector<hsize_t> dims(p.shape().begin(), p.shape().end());
  H5::DataSpace space(static_cast<int>(dims.size()), dims.data());
  H5::LinkCreatPropList lcpl;
  lcpl.setCreateIntermediateGroup(true);
  // No modification times: the same training writes the same bytes, so runs compare as files.
  H5::DSetCreatPropList dcpl;
  H5Pset_obj_track_times(dcpl.getId(), false);
  H5::DataSet ds = f.createDataSet(path, H5::PredType::NATIVE_FLOAT, space, dcpl,
                                   H5::DSetAccPropList::DEFAULT, lcpl);
  ds.write(p.data(), H5::PredType::NATIVE_FLOAT);
}

// Whether `path` ("/a/b/c") names a dataset; each link is looked up in turn, since HDF5 fails
// rather than answers when a group on the way is missing.
bool dataset_exists(const H5::H5File& f, const std::string& path) {
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (!f.nameExists(prefix)) return false;
    if (slash == std::string::npos) return f.childObjType(prefix) == H5O_TYPE_DATASET;
  }
}

// A tensor's values are at most this many: far beyond any model, far below an overflow.
constexpr hsize_t kMaxTensorElements = hsize_t{1} << 34;

// The stored shape of dataset `path`, checked before anything is allocated: float data, a
// shape of sensible size that `expected` (when given) equals, and stored bytes to fill it.
Shape checked_shape(const H5::DataSet& ds, const std::string& path, const std::string& file,
                    const Shape* expected) {
  const std::string where = "checkpoint '" + file + "': " + path;
  if (ds.getTypeClass() != H5T_FLOAT) throw std::runtime_error(where + " does not hold floats");
  const H5::DataSpace space = ds.getSpace();
  const int rank = space.getSimpleExtentNdims();
  if (rank < 0 || rank > 8)
    throw std::runtime_error(where + " has " + std::to_string(rank) + " axes");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  space.getSimpleExtentDims(dims.data());
  hsize_t n = 1;
  for (hsize_t d : dims) {
    if (d > kMaxTensorElements || n * d > kMaxTensorElements)
      throw std::runtime_error(where + " has an impossible shape (a corrupt file?)");
    n *= d;
  }
  const Shape shape(dims.begin(), dims.end());
  if (expected && shape != *expected)
    throw std::runtime_error(where + " has shape " + to_string(shape) +
                             " but the architecture needs " + to_string(*expected));
  const bool filtered = ds.getCreatePlist().getNfilters() > 0;
  if (!filtered && ds.getStorageSize() < n * sizeof(float))
    throw std::runtime_error(where + " holds " + std::to_string(ds.getStorageSize()) +
                             " bytes, its shape needs " + std::to_string(n * sizeof(float)) +
                             " (a truncated or corrupt file?)");
  return shape;
}

// Dataset `path` as a tensor of its stored shape, which must be `expected` when given.
Tensor read_dataset(const H5::H5File& f, const std::string& path, const std::string& file,
                    const Shape* expected = nullptr) {
  if (!dataset_exists(f, path))
    throw std::runtime_error("checkpoint '" + file + "': missing dataset " + path);
  H5::DataSet ds = f.openDataSet(path);
  Tensor t = Tensor::empty(checked_shape(ds, path, file, expected));
  ds.read(t.data(), H5::PredType::NATIVE_FLOAT);
  return t;
}

// Reads dataset `path` into `t`, which must already have the stored shape.
void read_tensor(const H5::H5File& f, const std::string& path, Tensor& t, const std::string& file) {
  t = read_dataset(f, path, file, &t.shape());
}

// The bytes of an HDF5 file built in memory (the core driver, no backing store): a checkpoint
// is written whole by write_atomically, whose every write is checked, so that a full disk is an
// error rather than an HDF5 file whose close fails (which HDF5 1.10 survives badly).
std::string file_image(const H5::H5File& f) {
  f.flush(H5F_SCOPE_GLOBAL);
  const ssize_t size = H5Fget_file_image(f.getId(), nullptr, 0);
  if (size < 0) throw std::runtime_error("cannot form the checkpoint file in memory");
  std::string image(static_cast<size_t>(size), '\0');
  H5Fget_file_image(f.getId(), image.data(), image.size());
  return image;
}

}  // namespace

void save_checkpoint(const std::string& path, Module& model, Optimizer* optimizer, int64_t step,
                     const json& metadata, const std::map<std::string, Tensor>& tensors) {
  H5::Exception::dontPrint();
  std::string image;
  try {
    H5::FileAccPropList in_memory;
    H5Pset_fapl_core(in_memory.getId(), size_t{1} << 20, false);
    H5::H5File f(path, H5F_ACC_TRUNC, H5::FileCreatPropList::DEFAULT, in_memory);
    write_string_attr(f, "format", kFormat);
    write_int_attr(f, "version", kVersion);
    write_string_attr(f, "architecture", model.config().dump());
    write_string_attr(f, "metadata", metadata.dump());
    write_int_attr(f, "step", step);
    for (Param* p : model.parameters()) write_tensor(f, "/weights/" + p->name, p->value);
    for (auto& [name, t] : model.buffers()) write_tensor(f, "/buffers/" + name, *t);
    json keys = json::array();
    if (optimizer) {
      write_string_attr(f, "optimizer", optimizer->config().dump());
      write_int_attr(f, "optimizer_steps", optimizer->steps());
      for (auto& [key, t] : optimizer->state()) {
        write_tensor(f, "/optimizer/" + key, t);
        keys.push_back(key);
      }
    }
    write_string_attr(f, "state_keys", keys.dump());
    json tensor_keys = json::array();
    for (const auto& [name, t] : tensors) {
      write_tensor(f, "/state/" + name, t);
      tensor_keys.push_back(name);
    }
    write_string_attr(f, "tensor_keys", tensor_keys.dump());
    image = file_image(f);
  } catch (const H5::Exception& e) {
    throw std::runtime_error("cannot write checkpoint '" + path + "': " + e.getDetailMsg());
  }
  write_atomically(path, image);
}

Checkpoint load_checkpoint(const std::string& path) {
  H5::Exception::dontPrint();
  if (!std::filesystem::exists(path))
    throw std::runtime_error("checkpoint '" + path + "' does not exist");
  Checkpoint ck;
  const std::string where = "checkpoint '" + path + "'";
  try {
    if (!H5::H5File::isHdf5(path))
      throw std::runtime_error("checkpoint '" + path + "' is not an HDF5 file");
    H5::H5File f(path, H5F_ACC_RDONLY);
    if (!f.attrExists("format") || read_string_attr(f, "format", path) != kFormat)
      throw std::runtime_error("'" + path + "' is an HDF5 file but not a tessera checkpoint");
    const int64_t version = read_int_attr(f, "version", path);
    if (version > kVersion)
      throw std::runtime_error("checkpoint '" + path + "' is from a newer tessera (version " +
                               std::to_string(version) + ")");
    ck.model =
        make_module(parse_json(read_string_attr(f, "architecture", path), where + " architecture"));
    ck.metadata = parse_json(read_string_attr(f, "metadata", path), where + " metadata");
    ck.step = read_int_attr(f, "step", path);
    for (Param* p : ck.model->parameters()) read_tensor(f, "/weights/" + p->name, p->value, path);
    for (auto& [name, t] : ck.model->buffers()) read_tensor(f, "/buffers/" + name, *t, path);
    if (f.attrExists("optimizer")) {
      ck.optimizer =
          make_optimizer(parse_json(read_string_attr(f, "optimizer", path), where + " optimizer"));
      ck.optimizer->set_steps(read_int_attr(f, "optimizer_steps", path));
      for (const auto& key :
           parse_json(read_string_attr(f, "state_keys", path), where + " state_keys")) {
        const std::string k = key.get<std::string>();
        ck.optimizer->state()[k] = read_dataset(f, "/optimizer/" + k, path);
      }
    }
    if (f.attrExists("tensor_keys"))
      for (const auto& key :
           parse_json(read_string_attr(f, "tensor_keys", path), where + " tensor_keys")) {
        const std::string k = key.get<std::string>();
        ck.tensors[k] = read_dataset(f, "/state/" + k, path);
      }
  } catch (const H5::Exception& e) {
    throw std::runtime_error("cannot read checkpoint '" + path + "': " + e.getDetailMsg() +
                             " (a corrupt file?)");
  } catch (const json::exception& e) {
    throw std::runtime_error("checkpoint '" + path + "' has corrupt metadata: " + e.what());
  } catch (const std::bad_alloc&) {
    throw std::runtime_error(where + " describes a model too large for memory (a corrupt file?)");
  }
  return ck;
}

Checkpoint load_task_checkpoint(const std::string& path, const std::string& task,
                                const std::string& what) {
  Checkpoint ck = load_checkpoint(path);
  // Compared as JSON: a task that is not text (hand-edited metadata) is just another task.
  const auto stored = ck.metadata.find("task");
  if (stored == ck.metadata.end() || *stored != task)
    throw std::runtime_error(path + " is not " + what);
  return ck;
}

}  // namespace tessera
