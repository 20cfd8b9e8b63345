// Portable instantiation of the elementwise kernels (4 lanes, the target's baseline ISA).
#define VW 4
#define VECTOR_TABLE rp_vector_portable
#include "vector_template.h"
