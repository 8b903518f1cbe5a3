/* mipstark kernel portability header: the one place where CUDA C++ and OpenCL C differ.
 *
 * Kernel sources use only these names (and plain C), so the same file compiles with nvcc and
 * with any OpenCL C compiler (PoCL on CPU-only machines). CUDA-only fast paths must be added
 * here, behind a portable fallback. Current list: none.
 *
 * OpenCL C reserves some names plain C allows (half, bool vectors like uchar4, ...): the
 * PoCL tests catch them, nvcc does not. */
#ifndef MIPSTARK_PORTABLE_H
#define MIPSTARK_PORTABLE_H

#if defined(__CUDACC__) || defined(__CUDA_ARCH__)
/* ---------------- CUDA ---------------- */
typedef unsigned int u32;
typedef unsigned long long u64;
#define KERNEL extern "C" __global__
#define DEVICE static __device__ __forceinline__
#define GLOBAL
#define LOCAL __shared__
#define LOCAL_PTR
#define CONSTANT __device__ const
#define CONST_PTR const
#define GLOBAL_ID() ((u64)blockIdx.x * (u64)blockDim.x + (u64)threadIdx.x)
#define LOCAL_ID() ((u32)threadIdx.x)
#define GROUP_ID() ((u32)blockIdx.x)
#define LOCAL_SIZE() ((u32)blockDim.x)
#define BARRIER() __syncthreads()
#elif defined(__OPENCL_VERSION__) || defined(__OPENCL_C_VERSION__)
/* ---------------- OpenCL C ---------------- */
typedef uint u32;
typedef ulong u64;
#define KERNEL __kernel
#define DEVICE static inline
#define GLOBAL __global
#define LOCAL __local
#define LOCAL_PTR __local
#define CONSTANT __constant
#define CONST_PTR const
#define GLOBAL_ID() ((u64)get_global_id(0))
#define LOCAL_ID() ((u32)get_local_id(0))
#define GROUP_ID() ((u32)get_group_id(0))
#define LOCAL_SIZE() ((u32)get_local_size(0))
#define BARRIER() barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE)
#else
#error "compile as CUDA or OpenCL C"
#endif

#endif
