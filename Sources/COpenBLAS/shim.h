// OpenBLAS's CBLAS interface, from Debian's libopenblas-dev.
#include <cblas.h>
