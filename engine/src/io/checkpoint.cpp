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

std::string read_string_attr(const H5::H5Object& obj, const char* name) {
  H5::Attribute a = obj.openAttribute(name);
  std::string value;
  a.read(a.getStrType(), value);
  return value;
}

void write_int_attr(H5::H5Object& obj, const char* name, int64_t value) {
  obj.createAttribute(name, H5::PredType::NATIVE_INT64, H5::DataSpace(H5S_SCALAR))
      .write(H5::PredType::NATIVE_INT64, &value);
}

int64_t read_int_attr(const H5::H5Object& obj, const char* name) {
  int64_t v = 0;
  obj.openAttribute(name).read(H5::PredType::NATIVE_INT64, &v);
  return v;
}

void write_tensor(H5::H5File& f, const std::string& path, const Tensor& t) {
  const Tensor p = t.to_plain();
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

// Dataset `path` as a tensor of its stored shape.
Tensor read_dataset(const H5::H5File& f, const std::string& path, const std::string& file) {
  if (!f.nameExists(path))
    throw std::runtime_error("checkpoint '" + file + "': missing dataset " + path);
  H5::DataSet ds = f.openDataSet(path);
  H5::DataSpace space = ds.getSpace();
  std::vector<hsize_t> dims(static_cast<size_t>(space.getSimpleExtentNdims()));
  space.getSimpleExtentDims(dims.data());
  Tensor t = Tensor::empty(Shape(dims.begin(), dims.end()));
  ds.read(t.data(), H5::PredType::NATIVE_FLOAT);
  return t;
}

// Reads dataset `path` into `t`, which must already have the stored shape.
void read_tensor(const H5::H5File& f, const std::string& path, Tensor& t, const std::string& file) {
  Tensor stored = read_dataset(f, path, file);
  if (stored.shape() != t.shape())
    throw std::runtime_error("checkpoint '" + file + "': " + path + " has shape " +
                             to_string(stored.shape()) + " but the architecture needs " +
                             to_string(t.shape()));
  t = stored;
}

}  // namespace

void save_checkpoint(const std::string& path, Module& model, Optimizer* optimizer, int64_t step,
                     const json& metadata, const std::map<std::string, Tensor>& tensors) {
  H5::Exception::dontPrint();
  AtomicFile out(path);
  try {
    H5::H5File f(out.temp_path(), H5F_ACC_TRUNC);
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
    f.close();
  } catch (const H5::Exception& e) {
    throw std::runtime_error("cannot write checkpoint '" + path + "': " + e.getDetailMsg());
  }
  out.commit();
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
    if (!f.attrExists("format") || read_string_attr(f, "format") != kFormat)
      throw std::runtime_error("'" + path + "' is an HDF5 file but not a tessera checkpoint");
    if (read_int_attr(f, "version") > kVersion)
      throw std::runtime_error("checkpoint '" + path + "' is from a newer tessera (version " +
                               std::to_string(read_int_attr(f, "version")) + ")");
    ck.model =
        make_module(parse_json(read_string_attr(f, "architecture"), where + " architecture"));
    ck.metadata = parse_json(read_string_attr(f, "metadata"), where + " metadata");
    ck.step = read_int_attr(f, "step");
    for (Param* p : ck.model->parameters()) read_tensor(f, "/weights/" + p->name, p->value, path);
    for (auto& [name, t] : ck.model->buffers()) read_tensor(f, "/buffers/" + name, *t, path);
    if (f.attrExists("optimizer")) {
      ck.optimizer =
          make_optimizer(parse_json(read_string_attr(f, "optimizer"), where + " optimizer"));
      ck.optimizer->set_steps(read_int_attr(f, "optimizer_steps"));
      for (const auto& key : parse_json(read_string_attr(f, "state_keys"), where + " state_keys")) {
        const std::string k = key.get<std::string>();
        ck.optimizer->state()[k] = read_dataset(f, "/optimizer/" + k, path);
      }
    }
    if (f.attrExists("tensor_keys"))
      for (const auto& key :
           parse_json(read_string_attr(f, "tensor_keys"), where + " tensor_keys")) {
        const std::string k = key.get<std::string>();
        ck.tensors[k] = read_dataset(f, "/state/" + k, path);
      }
  } catch (const H5::Exception& e) {
    throw std::runtime_error("cannot read checkpoint '" + path + "': " + e.getDetailMsg());
  } catch (const json::exception& e) {
    throw std::runtime_error("checkpoint '" + path + "' has corrupt metadata: " + e.what());
  }
  return ck;
}

}  // namespace tessera
