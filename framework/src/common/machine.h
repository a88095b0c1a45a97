// What a measurement ran on, for provenance tags and every benchmark's first line: the CPU model and the vector
// extensions BLAS kernels choose by, the BLAS library this process loaded and, for OpenBLAS, the kernel it chose
// for this CPU (openblas_get_corename). Figures from two machines can only be compared when these are known.
#pragma once

#include <set>
#include <string>

namespace remix::machine {

std::string cpu_model();     // /proc/cpuinfo's first "model name", or "unknown"
// "GenuineIntel family 6 model 167 stepping 1": a virtual machine's model name can be the same generic string
// ("Intel(R) Xeon(R) Processor") on two CPU generations, these numbers are not; "unknown" without /proc/cpuinfo
std::string cpu_id();
// those of amx_tile, avx512_bf16, avx512_vnni, avx512f, avx2, fma, avx present, space-separated ("" when none):
// the extensions BLAS kernels choose by, newest first, which also tell the Xeon generations apart
std::string cpu_features();
std::set<std::string> cpu_flags();  // every flag of /proc/cpuinfo's first "flags" line
// The BLAS library loaded (from /proc/self/maps, links resolved). Where no BLAS library of its own is loaded (PyPI's
// LibTorch links MKL into libtorch_cpu), the BLAS LibTorch was built with, from its build settings ("mkl, inside
// LibTorch"); "unknown" when neither says.
std::string blas_library();
// "mkl" from at::show_config()'s "... BLAS_INFO=mkl, ..." ("" without that key)
std::string blas_from_build_settings(const std::string& show_config);
std::string blas_core();     // OpenBLAS's kernel for this CPU ("Haswell", "Zen", "SkylakeX"), or "unknown"
// "CPU AMD EPYC [AuthenticAMD family 25 model 1 stepping 1] (avx2 fma avx), 2 cores; BLAS /usr/lib/.../
// libopenblasp-r0.3.21.so, kernel Zen, OpenMP threads";
// the kernel says "(asked for; OpenBLAS chose Prescott)" where remix set it, "(OPENBLAS_CORETYPE from the
// environment; the CPU's own: Cooperlake)" where the environment did (common/library_environment.h)
std::string summary();

}  // namespace remix::machine
