#!/usr/bin/env bash
# tessera: the two README commands.
#   ./run.sh demo   install missing packages, build, run a short tour of the program
#   ./run.sh test   install missing packages, build, run the test suite (CTest)
#   ./run.sh build  install missing packages, build only
#   ./run.sh test-asan  the unit and cli tests built with AddressSanitizer and UBSan (build-asan/)
set -euo pipefail

cd "$(dirname "$0")"

usage() {
  echo "usage: $0 demo|test|build|test-asan" >&2
  exit 2
}

[[ $# -eq 1 ]] || usage
mode=$1
case "$mode" in demo | test | build | test-asan) ;; *) usage ;; esac

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libinsighttoolkit5-dev libgdal-dev libhdf5-dev libnetcdf-c++4-dev libopencv-dev libexif-dev
  libdnnl-dev ocl-icd-opencl-dev libopenmpi-dev openmpi-bin
  libgtest-dev nlohmann-json3-dev libcli11-dev liblapack-dev libtiff-dev libyaml-cpp-dev libxml2-dev
  python3-torch python3-numpy python3-matplotlib python3-h5py clang-format libgdcm-tools time
)

step_start=0
step() {
  echo
  echo "==> $*"
  step_start=$SECONDS
}
step_done() {
  echo "    (done in $((SECONDS - step_start)) s)"
}

# (a) Debian packages: install only those that are missing.
step "checking Debian packages"
missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  echo "    installing: ${missing[*]}"
  SUDO=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
      SUDO=(sudo)
    else
      echo "error: missing packages (${missing[*]}) and not root, no sudo; install them and re-run" >&2
      exit 1
    fi
  fi
  "${SUDO[@]}" apt-get update
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "    all ${#PACKAGES[@]} packages present"
fi
step_done

# The sanitizer run has its own build folder and builds only what the unit and cli tests run:
# the program and the test executables (no MPI: Open MPI is not built for the sanitizers).
# Leak checking is off: the libraries (HDF5, ITK, oneDNN, GDAL) keep process-lifetime caches.
if [[ "$mode" == test-asan ]]; then
  launcher=()
  if command -v ccache >/dev/null 2>&1; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  fi
  if [[ ! -f build-asan/build.ninja ]]; then
    step "configuring build-asan (AddressSanitizer + UBSan)"
    cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Release -DTESSERA_WERROR=ON \
      -DTESSERA_SANITIZE=address,undefined -DTESSERA_MPI=OFF "${launcher[@]}"
    step_done
  fi
  step "building build-asan (tessera and the test executables)"
  cmake --build build-asan -j"$(nproc)" --target tessera engine_tests formats_tests \
    connectomics_tests hydrology_tests ecology_tests materials_tests
  step_done
  step "running the unit and cli tests under AddressSanitizer and UBSan"
  rc=0
  (cd build-asan &&
    ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:detect_stack_use_after_return=0 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --output-on-failure -j2 --timeout 1800 -L 'unit|cli') || rc=$?
  step_done
  exit "$rc"
fi

# (b) configure once; ninja re-runs cmake itself when CMakeLists change. Warnings are errors.
if [[ ! -f build/build.ninja ]] || ! grep -q '^TESSERA_WERROR:BOOL=ON' build/CMakeCache.txt; then
  step "configuring (cmake, Release, warnings as errors)"
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTESSERA_WERROR=ON
  step_done
fi

# (c) build
step "building"
cmake --build build -j"$(nproc)"
step_done

tessera=build/apps/tessera

case "$mode" in
  build) ;;
  test)
    step "running tests (ctest)"
    rc=0
    (cd build && ctest --output-on-failure -j2 --timeout 900) || rc=$?
    step_done
    exit "$rc"
    ;;
  demo)
    step "tessera info"
    "$tessera" info
    step_done

    step "engine benchmark: 2D U-Net, batch 1, 64x64, 3 steps"
    "$tessera" bench engine --model unet2d --batch 1 --size 64 --steps 3
    step_done

    step "demo: train a small U-Net on generated data"
    "$tessera" demo --output build/demo_unet.h5
    step_done

    step "demo: the same with a reversible U-Net"
    "$tessera" demo --reversible --output build/demo_unet_rev.h5
    step_done

    step "tiled inference: a U-Net over a generated 1000 x 1000 image on disk (HDF5), 16 MiB budget"
    "$tessera" bench tiling --dims 2 --size 1000 --max-memory 16M --dir build
    step_done

    step "demo: K-FAC on 2 MPI ranks (data-parallel)"
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 \
      mpirun -np 2 --oversubscribe "$tessera" demo --optimizer kfac --steps 60 --output build/demo_unet_kfac.h5
    step_done

    step "connectomics: synthetic EM volumes, train, segment the held-out one, evaluate"
    cx=build/demo_connectomics
    mkdir -p "$cx"
    "$tessera" connectomics synth --raw "$cx/train_raw.h5:raw" --labels "$cx/train_ids.h5:ids" --size 32,96,96 --seed 1
    "$tessera" connectomics synth --raw "$cx/test_raw.h5:raw" --labels "$cx/test_ids.h5:ids" --size 32,96,96 --seed 2
    "$tessera" connectomics train --raw "$cx/train_raw.h5:raw" --labels "$cx/train_ids.h5:ids" --output "$cx/aff.h5" --steps 300
    "$tessera" connectomics run --model "$cx/aff.h5" --raw "$cx/test_raw.h5:raw" --output "$cx/seg.h5:seg" \
      --threshold 0.5 --preview "$cx/seg.png" --quiet
    "$tessera" connectomics evaluate --segmentation "$cx/seg.h5:seg" --truth "$cx/test_ids.h5:ids" --output "$cx/scores.json"
    step_done

    step "hydrology: a generated snowy catchment, LSTM ensemble + GR4J, skill per lead time, a forecast"
    hy=build/demo_hydrology
    "$tessera" hydrology synth --output "$hy" --years 12
    "$tessera" hydrology train --config "$hy/catchment.yaml" --output "$hy/model.h5"
    "$tessera" hydrology evaluate --model "$hy/model.h5" --output "$hy/scores.json"
    "$tessera" hydrology forecast --model "$hy/model.h5" --as-of 1991-04-20 --output "$hy/forecast.csv" \
      --plot "$hy/forecast.png"
    step_done

    step "hydrology hourly: a 5-minute gauge and hourly weather resampled to hours, GR4H, forecasts 1-12 h ahead"
    hh=build/demo_hydrology_hourly
    "$tessera" hydrology synth --output "$hh" --time-step 1h
    "$tessera" hydrology train --config "$hh/catchment.yaml" --output "$hh/model.h5" --quiet
    "$tessera" hydrology evaluate --model "$hh/model.h5" --output "$hh/scores.json"
    "$tessera" hydrology forecast --model "$hh/model.h5" --as-of "2003-06-10 14:00" \
      --output "$hh/forecast.csv" --plot "$hh/forecast.png" --pi-xml "$hh/forecast.xml"
    step_done

    step "hydrology ET: water-budget closure of the shared GRDC basins, GLEAM corrected from basin residuals, the Tanzania grid"
    et=build/demo_et
    wb=$(realpath ../shared/data/hydrology/water_budget)
    mkdir -p "$et"
    sed "s|@WB@|$wb|g; s|@PRODUCT@|GLEAM|g" bench/hydrology/et_budget.yaml.in > "$et/gleam.yaml"
    "$tessera" hydrology closure --config "$et/gleam.yaml" --output "$et/closure.json" | tail -3
    "$tessera" hydrology evaluate-et --config "$et/gleam.yaml" --folds 5 --output "$et/cv.json"
    "$tessera" hydrology train-et --config "$et/gleam.yaml" --output "$et/gleam.h5" | tail -1
    "$tessera" hydrology correct-et --model "$et/gleam.h5" \
      --input "$wb/grids_tanzania_2010/GLEAM_data_2010_Tanzania.nc" --output "$et/gleam_tanzania_corrected.nc"
    step_done

    step "ecology: generated trap photographs, the insect detector, counts per night and trap"
    ec=build/demo_ecology
    synth=(--photos 8 --size 768,576 --insects 40 --insect-size 14,30 --kinds fly,beetle)
    "$tessera" ecology synth --output "$ec/train" "${synth[@]}" --seed 1
    "$tessera" ecology synth --output "$ec/nights" "${synth[@]}" --seed 2
    "$tessera" ecology train --images "$ec/train" --annotations "$ec/train/annotations.json" \
      --output "$ec/insects.h5" --steps 2000 --patch 64 --batch 4 --channels 8,16,32 --lr 0.003
    "$tessera" ecology detect --model "$ec/insects.h5" --images "$ec/nights" --output "$ec/found"
    "$tessera" ecology count --model "$ec/insects.h5" --images "$ec/nights" --output "$ec/counts" \
      --name-pattern 'trap{trap}_{yyyy}{mm}{dd}_{HH}{MM}'
    "$tessera" ecology evaluate --annotations "$ec/nights/annotations.json" --images "$ec/nights" \
      --model "$ec/insects.h5" --output "$ec/scores.json"
    step_done

    step "materials: generated micrographs, the phase segmenter trained on tile tags only, phase maps and fractions, scores"
    mt=build/demo_materials
    "$tessera" materials synth --output "$mt/data" --specimens 6 --images 3
    "$tessera" materials train-segmenter --images "$mt/data/images" --tags "$mt/data/tags_tiles.csv" \
      --metadata "$mt/data/metadata.csv" --output "$mt/segmenter.h5" --steps 300 --patch 48
    "$tessera" materials segment --model "$mt/segmenter.h5" --images "$mt/data/images" \
      --metadata "$mt/data/metadata.csv" --output "$mt/maps"
    "$tessera" materials evaluate --prediction "$mt/maps" --truth "$mt/data/labels" \
      --phases matrix,network,spheroidite,widmanstatten --output "$mt/scores.json"
    step_done

    step "materials: the anneal of each specimen learnt from its micrographs, predicted with prediction sets and evidence maps, scored per specimen"
    "$tessera" materials train-property --images "$mt/data/images" --table "$mt/data/metadata.csv" \
      --target anneal --output "$mt/anneal.h5" --steps 300 --patch 64
    "$tessera" materials predict --model "$mt/anneal.h5" --images "$mt/data/images" \
      --metadata "$mt/data/metadata.csv" --output "$mt/anneal"
    "$tessera" materials evaluate --prediction "$mt/anneal/predictions.csv" \
      --truth "$mt/data/metadata.csv" --target anneal --output "$mt/anneal_scores.json"
    step_done

    step "video: a generated clean clip made dark (10 electrons at white), the 5-frame denoiser, non-local means, scores"
    vd=build/demo_video
    profile=../shared/data/video/noise_models/crvd_imx385_noise_params.json
    if [[ ! -f $profile ]]; then  # the shared profile when it is there, else one of the same kind
      mkdir -p "$vd"
      profile=$vd/camera.json
      printf '{"format": "tessera camera profile", "name": "demo camera", "gain_dn_per_electron": 7,
        "read_noise_dn": 6, "black_level": 240, "white_level": 4095, "bits": 12}\n' >"$profile"
    fi
    "$tessera" video scene --output "$vd/train" --frames 24 --size 192,144 --seed 1
    "$tessera" video scene --output "$vd/test" --frames 8 --size 192,144 --seed 2
    "$tessera" video train --clean "$vd/train" --camera "$profile" --output "$vd/denoiser.h5" \
      --steps 400 --patch 48
    "$tessera" video synth --input "$vd/test" --camera "$profile" --photons 10 --output "$vd/noisy"
    for method in network nlm none; do
      "$tessera" video denoise --method "$method" --model "$vd/denoiser.h5" --input "$vd/noisy" \
        --photons 10 --output "$vd/$method" --quiet
      "$tessera" video evaluate --result "$vd/$method/frames" --reference "$vd/test" --label "$method" \
        --output "$vd/$method/scores.json"
    done
    step_done
    ;;
esac
