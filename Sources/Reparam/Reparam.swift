@_exported import ReparamData
@_exported import ReparamDistributions
@_exported import ReparamEstimators
@_exported import ReparamFlows
@_exported import ReparamModels
@_exported import ReparamNN
@_exported import ReparamPreference
@_exported import ReparamRL
@_exported import ReparamRandom
@_exported import ReparamTensor
// The `Reparam` library: one import for every layer.
@_exported import _Differentiation
