import type { TableColumn, TableEncoding } from '@specml/data';
import { ONNX_ML_DOMAIN, type OnnxGraph } from './onnx-graph.js';

// A table model's ONNX graph can take raw rows: one input per column, [batch, 1], numbers as float (NaN where
// missing) and categories as strings (trimmed, '' where missing), encoded inside the graph exactly as training
// encoded them (table.json): imputed, standardised, one-hot, with missing-value indicators, then concatenated
// into the vector the first layer reads. As sklearn-onnx writes scikit-learn's pipelines, with ONNX-ML's
// Imputer and OneHotEncoder.

/** One raw input of the graph: a column, and the type its values come in. */
export interface RawColumnInput {
  readonly name: string;
  readonly type: 'float' | 'string';
}

/** How one column kind becomes graph nodes: its input's type, and its encoded inputs (and indicator) from it. */
interface ColumnToOnnx<C extends TableColumn> {
  readonly inputType: RawColumnInput['type'];
  /** The column's encoded values [batch, width], then its indicator [batch, 1] when it has one. */
  encode(column: C, graph: OnnxGraph, input: string): string[];
}

type ColumnsToOnnx = { readonly [T in TableColumn['type']]: ColumnToOnnx<Extract<TableColumn, { type: T }>> | undefined };

const float = (value: number) => Float32Array.of(value);

/** Every column kind's graph, or undefined for a kind no ONNX operator encodes (text: a tokenizer). */
const COLUMNS_TO_ONNX: ColumnsToOnnx = {
  number: {
    inputType: 'float',
    encode(column, graph, input) {
      const filled = graph.node('Imputer', [input], { imputed_value_floats: [column.fill ?? column.mean], replaced_value_float: Number.NaN }, ['imputed_value_floats', 'replaced_value_float'], ONNX_ML_DOMAIN);
      graph.valueInfo.push({ name: filled, dims: ['batch', 1] });
      const centred = graph.node('Sub', [filled, graph.initializer([], float(column.mean), 'mean')]);
      const scaled = graph.node('Div', [centred, graph.initializer([], float(column.std), 'std')]);
      return column.indicator ? [scaled, graph.node('Cast', [graph.node('IsNaN', [input])], { to: FLOAT })] : [scaled];
    },
  },
  category: {
    inputType: 'string',
    encode(column, graph, input) {
      // One-hot over the categories and '' (missing); unseen ones are all zeros. A product then maps '' to the fill's one-hot (or to nothing).
      const k = column.categories.length;
      const oneHot = graph.node('OneHotEncoder', [input], { cats_strings: [...column.categories, ''], zeros: 1 }, [], ONNX_ML_DOMAIN);
      graph.valueInfo.push({ name: oneHot, dims: ['batch', 1, k + 1] });
      const flat = graph.node('Reshape', [oneHot, graph.integers([0, k + 1], 'shape')]);
      const mapping = new Float32Array((k + 1) * k);
      for (let c = 0; c < k; c++) mapping[c * k + c] = 1;
      const fill = column.fill === undefined ? -1 : column.categories.indexOf(column.fill);
      if (fill >= 0) mapping[k * k + fill] = 1;
      const encoded = graph.node('MatMul', [flat, graph.initializer([k + 1, k], mapping, 'categories')]);
      if (!column.indicator) return [encoded];
      return [encoded, graph.columns(flat, k, k + 1)];
    },
  },
  text: undefined,
};

/** ONNX's FLOAT element type, for Cast. */
const FLOAT = 1;

/** Whether every column of the table can be encoded in the graph (no text column). */
export const rawRowsSupported = (table: TableEncoding) => table.features.every((column) => COLUMNS_TO_ONNX[column.type] !== undefined);

/** The graph's raw inputs, one per column, in the table's order. */
export function rawInputsOf(table: TableEncoding): RawColumnInput[] {
  return table.features.map((column) => {
    const kind = COLUMNS_TO_ONNX[column.type];
    if (!kind) throw new Error(`a ${column.type} column has no ONNX encoding`);
    return { name: column.name, type: kind.inputType };
  });
}

/** The graph's raw inputs and the encoded vector they make, [batch, width]. */
export function tableInputToOnnx(graph: OnnxGraph, table: TableEncoding): { inputs: RawColumnInput[]; encoded: string } {
  const inputs: RawColumnInput[] = [];
  const parts: string[] = [];
  for (const column of table.features) {
    const kind = COLUMNS_TO_ONNX[column.type] as ColumnToOnnx<TableColumn> | undefined;
    if (!kind) throw new Error(`a ${column.type} column has no ONNX encoding`);
    inputs.push({ name: column.name, type: kind.inputType });
    parts.push(...kind.encode(column, graph, column.name));
  }
  return { inputs, encoded: parts.length === 1 ? parts[0] : graph.node('Concat', parts, { axis: 1 }) };
}
