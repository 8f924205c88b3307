/* matmul.c - benchmark kernel: dense 200x200 double matrix multiply (i-k-j
 * order: f64 loads, multiply-add, strided stores). */
#include "kernel.h"

#define M 200
static double A[M][M], B[M][M], C[M][M];

KERNEL(matmul)
{
	for (int i = 0; i < M; i++)
		for (int j = 0; j < M; j++) {
			A[i][j] = (double)((i * 7 + j * 3) % 17) - 8.0;
			B[i][j] = (double)((i * 5 + j * 11) % 13) * 0.5;
			C[i][j] = 0;
		}
	for (int rep = 0; rep < 5; rep++)
		for (int i = 0; i < M; i++)
			for (int k = 0; k < M; k++) {
				double a = A[i][k];
				for (int j = 0; j < M; j++)
					C[i][j] += a * B[k][j];
			}
	double sum = 0;
	for (int i = 0; i < M; i++)
		for (int j = 0; j < M; j++)
			sum += C[i][j] * (double)((i + j) % 5);
	return (uint64_t)(int64_t)sum;
}
