/* feasible.c - the polygon of clock lines every exchange allows (see
 * feasible.h for the model). */
#include "clock/feasible.h"

#include <math.h>
#include <string.h>

void ls_feas_start(struct ls_feasible *f, int64_t t_k, int64_t theta, double b, double rate_lo,
		   double rate_hi)
{
	memset(f, 0, sizeof(*f));
	f->anchor_k = t_k;
	f->base = theta;
	f->nv = 4;
	f->x[0] = -b, f->y[0] = rate_lo;
	f->x[1] = b, f->y[1] = rate_lo;
	f->x[2] = b, f->y[2] = rate_hi;
	f->x[3] = -b, f->y[3] = rate_hi;
}

void ls_feas_move(struct ls_feasible *f, int64_t t_k, int64_t theta)
{
	double dt = (double)(t_k - f->anchor_k);
	double db = (double)(f->base - theta);
	for (int i = 0; i < f->nv; i++)
		f->x[i] += f->y[i] * dt + db;
	f->anchor_k = t_k;
	f->base = theta;
}

void ls_feas_range(const struct ls_feasible *f, double *xlo, double *xhi, double *ylo, double *yhi)
{
	double a = INFINITY, b = -INFINITY, c = INFINITY, d = -INFINITY;
	for (int i = 0; i < f->nv; i++) {
		a = fmin(a, f->x[i]), b = fmax(b, f->x[i]);
		c = fmin(c, f->y[i]), d = fmax(d, f->y[i]);
	}
	*xlo = a, *xhi = b, *ylo = c, *yhi = d;
}

bool ls_feas_meets(const struct ls_feasible *f, int64_t theta, double b)
{
	if (f->nv == 0)
		return false;
	double xlo, xhi, ylo, yhi, c = (double)(theta - f->base);
	ls_feas_range(f, &xlo, &xhi, &ylo, &yhi);
	/* 1 ns of slack for rounding: a contradiction is never that small */
	return xhi >= c - b - 1.0 && xlo <= c + b + 1.0;
}

/* Keep the part of the polygon with s * x <= s * c (s = +1 or -1);
 * Sutherland-Hodgman against one vertical line. */
static int clip_side(const double *xi, const double *yi, int n, double c, double s, double *xo,
		     double *yo)
{
	int m = 0;
	for (int i = 0; i < n; i++) {
		int j = (i + 1) % n;
		bool in_i = s * xi[i] <= s * c, in_j = s * xi[j] <= s * c;
		if (in_i && m < LS_FEAS_MAX_VERTS) {
			xo[m] = xi[i], yo[m] = yi[i];
			m++;
		}
		if (in_i != in_j && m < LS_FEAS_MAX_VERTS) {
			double t = (c - xi[i]) / (xi[j] - xi[i]);
			xo[m] = c;
			yo[m] = yi[i] + t * (yi[j] - yi[i]);
			m++;
		}
	}
	return m;
}

/* Merge vertices closer than a rounding error (they only cost time). */
static int dedup(double *x, double *y, int n)
{
	int m = 0;
	for (int i = 0; i < n; i++) {
		if (m > 0 && fabs(x[i] - x[m - 1]) < 1e-3 && fabs(y[i] - y[m - 1]) < 1e-15)
			continue;
		x[m] = x[i], y[m] = y[i];
		m++;
	}
	if (m > 1 && fabs(x[0] - x[m - 1]) < 1e-3 && fabs(y[0] - y[m - 1]) < 1e-15)
		m--;
	return m;
}

bool ls_feas_clip(struct ls_feasible *f, int64_t theta, double b)
{
	double c = (double)(theta - f->base);
	double x1[LS_FEAS_MAX_VERTS], y1[LS_FEAS_MAX_VERTS];
	double x2[LS_FEAS_MAX_VERTS], y2[LS_FEAS_MAX_VERTS];
	int n = clip_side(f->x, f->y, f->nv, c + b, 1.0, x1, y1);
	n = dedup(x1, y1, n);
	n = clip_side(x1, y1, n, c - b, -1.0, x2, y2);
	n = dedup(x2, y2, n);
	if (n == 0)
		return false;
	if (n >= LS_FEAS_MAX_VERTS - 2) {
		/* too many vertices to clip safely: the bounding box holds the
		 * polygon, so it is still a bound (a looser one) */
		double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
		for (int i = 0; i < n; i++) {
			xlo = fmin(xlo, x2[i]), xhi = fmax(xhi, x2[i]);
			ylo = fmin(ylo, y2[i]), yhi = fmax(yhi, y2[i]);
		}
		x2[0] = xlo, y2[0] = ylo, x2[1] = xhi, y2[1] = ylo;
		x2[2] = xhi, y2[2] = yhi, x2[3] = xlo, y2[3] = yhi;
		n = 4;
	}
	memcpy(f->x, x2, sizeof(double) * (size_t)n);
	memcpy(f->y, y2, sizeof(double) * (size_t)n);
	f->nv = n;
	return true;
}
