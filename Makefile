# Thin wrapper over CMake; see README.md.
.PHONY: all deps build test run bench format clean

JOBS ?= $(shell nproc)
SOURCES = $(shell git ls-files '*.cpp' '*.h' '*.hpp' '*.cc' 2>/dev/null)

all: build

deps:
	@scripts/install-deps

# Release binaries in build/bin/.
build: deps
	cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCIMNET_TESTS=OFF -DCIMNET_BENCH=OFF
	cmake --build build -j $(JOBS)

# Sanitizer (ASan + UBSan) test tree with the fuzz targets, built with clang, every test through ctest.
test: deps
	CC=clang CXX=clang++ cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_C_FLAGS_DEBUG="-O1 -g" -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
	  -DCIMNET_SANITIZE=ON -DCIMNET_FUZZ=ON -DCIMNET_TESTS=ON -DCIMNET_BENCH=OFF
	cmake --build build-test -j $(JOBS)
	cd build-test && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# Starts the agent on its embedded default and opens cimsh on it.
run: build
	scripts/run

# Release benchmarks; each figure printed beside its baseline (BENCH lines).
bench: deps
	cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCIMNET_TESTS=OFF -DCIMNET_BENCH=ON
	cmake --build build -j $(JOBS)
	scripts/bench build

format:
	clang-format -i $(SOURCES)

clean:
	rm -rf build build-test
