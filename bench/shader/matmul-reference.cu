// CUDA references for bench:shader on an NVIDIA GPU, same sizes and f32 data layout as the WGSL matmul
// (row-major n×n, C = A·B): (1) the same 16×16 shared-memory tiled kernel written in CUDA, (2) cuBLAS
// SGEMM (FP32, no TF32: CUBLAS_DEFAULT_MATH). Best of 5 timed launches after a warm-up, cudaEvent
// timing, kernel time only. Prints one JSON object. Build: nvcc -O3 -arch=sm_90 matmul-reference.cu -lcublas
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <cublas_v2.h>
#include <cuda_runtime.h>

#define CK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { fprintf(stderr, "%s: %s\n", #x, cudaGetErrorString(e)); exit(1); } } while (0)

__global__ void tiled(int n, const float* a, const float* b, float* c) {
  __shared__ float ta[16][16], tb[16][16];
  int col = blockIdx.x * 16 + threadIdx.x, row = blockIdx.y * 16 + threadIdx.y;
  float acc = 0.f;
  for (int t = 0; t < n / 16; t++) {
    ta[threadIdx.y][threadIdx.x] = a[row * n + t * 16 + threadIdx.x];
    tb[threadIdx.y][threadIdx.x] = b[(t * 16 + threadIdx.y) * n + col];
    __syncthreads();
    for (int k = 0; k < 16; k++) acc += ta[threadIdx.y][k] * tb[k][threadIdx.x];
    __syncthreads();
  }
  c[row * n + col] = acc;
}

int main(int argc, char** argv) {
  cudaDeviceProp p;
  CK(cudaGetDeviceProperties(&p, 0));
  cublasHandle_t h;
  if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) { fprintf(stderr, "cublasCreate failed\n"); return 1; }
  cublasSetMathMode(h, CUBLAS_DEFAULT_MATH);
  printf("{\"device\":\"%s\",\"rows\":[", p.name);
  for (int i = 1; i < argc; i++) {
    int n = atoi(argv[i]);
    size_t bytes = size_t(n) * n * sizeof(float);
    std::vector<float> ha(size_t(n) * n), hb(size_t(n) * n);
    for (size_t j = 0; j < ha.size(); j++) { ha[j] = float(j * 7919 % 1000) / 500.f - 1.f; hb[j] = float(j * 104729 % 1000) / 500.f - 1.f; }
    float *a, *b, *c, *c2;
    CK(cudaMalloc(&a, bytes)); CK(cudaMalloc(&b, bytes)); CK(cudaMalloc(&c, bytes)); CK(cudaMalloc(&c2, bytes));
    CK(cudaMemcpy(a, ha.data(), bytes, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(b, hb.data(), bytes, cudaMemcpyHostToDevice));
    cudaEvent_t e0, e1; cudaEventCreate(&e0); cudaEventCreate(&e1);
    float best_tiled = 1e30f, best_blas = 1e30f, ms;
    const float one = 1.f, zero = 0.f;
    for (int r = 0; r < 6; r++) {
      cudaEventRecord(e0);
      tiled<<<dim3(n / 16, n / 16), dim3(16, 16)>>>(n, a, b, c);
      cudaEventRecord(e1); CK(cudaEventSynchronize(e1)); cudaEventElapsedTime(&ms, e0, e1);
      if (r > 0 && ms < best_tiled) best_tiled = ms;
      // Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ: swap the operands.
      cudaEventRecord(e0);
      cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, b, n, a, n, &zero, c2, n);
      cudaEventRecord(e1); CK(cudaEventSynchronize(e1)); cudaEventElapsedTime(&ms, e0, e1);
      if (r > 0 && ms < best_blas) best_blas = ms;
    }
    std::vector<float> h1(size_t(n) * n), h2(size_t(n) * n);
    CK(cudaMemcpy(h1.data(), c, bytes, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(h2.data(), c2, bytes, cudaMemcpyDeviceToHost));
    double maxdiff = 0;
    for (size_t j = 0; j < h1.size(); j++) { double d = fabs(double(h1[j]) - h2[j]); if (d > maxdiff) maxdiff = d; }
    double flops = 2.0 * n * n * n;
    printf("%s{\"n\":%d,\"tiled_ms\":%.4f,\"tiled_gflops\":%.1f,\"cublas_ms\":%.4f,\"cublas_gflops\":%.1f,\"max_abs_diff\":%.2e}",
           i > 1 ? "," : "", n, best_tiled, flops / best_tiled / 1e6, best_blas, flops / best_blas / 1e6, maxdiff);
    cudaFree(a); cudaFree(b); cudaFree(c); cudaFree(c2);
  }
  printf("]}\n");
  cublasDestroy(h);
  return 0;
}
