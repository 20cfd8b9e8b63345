#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// Scalar libm entry points under names that do not collide with the Tensor overloads.
@inline(__always) func libmLog(_ x: Double) -> Double { log(x) }
@inline(__always) func libmSin(_ x: Double) -> Double { sin(x) }
@inline(__always) func libmCos(_ x: Double) -> Double { cos(x) }
@inline(__always) func libmErf(_ x: Double) -> Double { erf(x) }
@inline(__always) func libmErfc(_ x: Double) -> Double { erfc(x) }
@inline(__always) func libmExp(_ x: Double) -> Double { exp(x) }
@inline(__always) func libmLog1p(_ x: Double) -> Double { log1p(x) }
@inline(__always) func libmAtan(_ x: Double) -> Double { atan(x) }
@inline(__always) func libmTan(_ x: Double) -> Double { tan(x) }
