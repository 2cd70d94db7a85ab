#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Shared by ./run and ./test: install the Debian 12 packages that are missing, then configure and
# build into build/. Sourced, not run.

lamina_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

lamina_build_packages=(cmake g++ make pkg-config qt6-base-dev qt6-svg-dev qt6-qpa-plugins
                       libarchive-dev libssl-dev zlib1g-dev)
# Independent checkers and fixture tools used by the tests.
# docker.io brings dockerd, containerd and ctr; tests/core/check/tst_loaders starts private ones of its own.
lamina_test_packages=(python3 skopeo podman umoci zstd xz-utils bzip2 xvfb xauth docker.io containerd runc
                      docker-registry openssl
                      clang-format git)
# fuzz/run only: libFuzzer and the sanitizer runtimes come with clang's runtime package.
lamina_fuzz_packages=(clang libclang-rt-14-dev)

lamina_install() {
    local missing=()
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    echo "Installing: ${missing[*]}"
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

lamina_build() {
    cmake -S "$lamina_root" -B "$lamina_root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
        cmake --build "$lamina_root/build" -j "$(nproc)"
}

# The core and its tests (fuzz replays included, not the GUI) with AddressSanitizer and
# UndefinedBehaviorSanitizer, in build-asan/.
lamina_build_asan() {
    cmake -S "$lamina_root" -B "$lamina_root/build-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DLAMINA_CORE_ONLY=ON -DLAMINA_SANITIZE=ON >/dev/null &&
        cmake --build "$lamina_root/build-asan" -j "$(nproc)"
}
