/** The activations a dense or conv layer can apply (leakyRelu uses α = 0.2). A leaf module: the layer kinds and the ONNX graph both name them. */
export const ACTIVATIONS = ['relu', 'leakyRelu', 'elu', 'selu', 'sigmoid', 'tanh', 'softmax', 'linear'] as const;
export type Activation = (typeof ACTIVATIONS)[number];
