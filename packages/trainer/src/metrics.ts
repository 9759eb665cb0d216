/**
 * One row of metrics.csv, as training produces it. Epoch 0 is the untrained model: its train and timing
 * fields are absent. A leaf module: the checkpoint and the training loop both use it.
 */
export interface EpochMetrics {
  epoch: number;
  train_loss?: number;
  train_accuracy?: number;
  test_loss: number;
  test_accuracy: number;
  epoch_seconds?: number;
  samples_per_second?: number;
  validation_loss?: number;
  validation_accuracy?: number;
}
