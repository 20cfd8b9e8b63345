// The `Reparam` library: one import for every layer.
@_exported import _Differentiation
@_exported import ReparamTensor
@_exported import ReparamRandom
@_exported import ReparamDistributions
@_exported import ReparamNN
@_exported import ReparamEstimators
@_exported import ReparamFlows
@_exported import ReparamData
@_exported import ReparamModels
@_exported import ReparamRL
@_exported import ReparamPreference
