/* doubles.c - WASI test program: libm functions and float formatting
 * (printf %f %g %e, strtod round trips, NaN and infinity). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static double integrate(double (*f)(double), double a, double b, int n)
{
	double h = (b - a) / n, s = 0.5 * (f(a) + f(b));
	for (int i = 1; i < n; i++)
		s += f(a + i * h);
	return s * h;
}

int main(void)
{
	printf("pi=%.15f e=%.15f\n", M_PI, exp(1.0));
	printf("sqrt(2)=%.17g cbrt(27)=%g\n", sqrt(2.0), cbrt(27.0));
	printf("sin(1)=%.12f cos(1)=%.12f tan(1)=%.12f\n", sin(1.0), cos(1.0), tan(1.0));
	printf("atan2(1,-1)=%.12f hypot(3,4)=%g\n", atan2(1.0, -1.0), hypot(3.0, 4.0));
	printf("log(10)=%.12f log2(1024)=%g log10(0.001)=%g\n", log(10.0), log2(1024.0), log10(0.001));
	printf("pow(2,0.5)=%.12f pow(-8,1/3.) is nan: %d fmod(10,3)=%g\n", pow(2, 0.5), isnan(pow(-8, 1 / 3.)), fmod(10, 3));
	printf("floor(-2.5)=%g ceil(-2.5)=%g round(2.5)=%g rint(2.5)=%g trunc(-2.7)=%g\n",
	       floor(-2.5), ceil(-2.5), round(2.5), rint(2.5), trunc(-2.7));
	printf("%%f: %f %f %f\n", 0.1, 1e10, -123.456);
	printf("%%g: %g %g %g %g %g\n", 0.0001, 1e-5, 123456.0, 1234567.0, 1.0 / 3);
	printf("%%e: %e %.2e %E\n", 6.02214076e23, 1.602e-19, 299792458.0);
	printf("%%a-free extremes: %g %g %g\n", DBL_MAX, DBL_MIN, DBL_EPSILON);
	printf("specials: %f %f %f %g\n", INFINITY, -INFINITY, NAN, -0.0);
	printf("float: %.9g %.9g\n", (double)(float)0.1, (double)FLT_MAX);
	double x = strtod("2.718281828459045", NULL);
	printf("strtod round trip: %.17g %s\n", x, x == exp(1.0) ? "exact" : "differs");
	printf("integral of sin on [0,pi]: %.10f\n", integrate(sin, 0, M_PI, 100000));
	double acc = 0;
	for (int i = 1; i <= 1000000; i++)
		acc += 1.0 / ((double)i * i);
	printf("basel partial sum: %.12f (pi^2/6=%.12f)\n", acc, M_PI * M_PI / 6);
	printf("isnan=%d isinf=%d signbit(-0)=%d\n", isnan(NAN), isinf(-INFINITY) != 0, signbit(-0.0) != 0);
	printf("(int)3.99=%d (long long)-1e18=%lld\n", (int)3.99, (long long)-1e18);
	return 0;
}
