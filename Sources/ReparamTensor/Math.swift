#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Scalar libm entry points under names that do not collide with the Tensor overloads.
@inline(__always) func libmLogf(_ x: Float) -> Float { logf(x) }
@inline(__always) func libmLgamma(_ x: Double) -> Double { lgamma(x) }
@inline(__always) func libmLog(_ x: Double) -> Double { log(x) }
@inline(__always) func libmSin(_ x: Double) -> Double { sin(x) }
@inline(__always) func libmCos(_ x: Double) -> Double { cos(x) }
