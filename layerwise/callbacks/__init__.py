"""Callbacks, shaped like ``keras.callbacks``."""

from layerwise.callbacks.callback import Callback, CallbackList
from layerwise.callbacks.history import History
from layerwise.callbacks.progbar import ProgbarLogger
from layerwise.callbacks.csv_logger import CSVLogger
from layerwise.callbacks.early_stopping import EarlyStopping
from layerwise.callbacks.lambda_callback import LambdaCallback
from layerwise.callbacks.learning_rate import LearningRateScheduler, ReduceLROnPlateau
from layerwise.callbacks.terminate_on_nan import TerminateOnNaN
from layerwise.callbacks.diagnostics import Diagnostics
from layerwise.callbacks.tensorboard import TensorBoard
from layerwise.callbacks.live_plot import LivePlot
from layerwise.callbacks.model_checkpoint import ModelCheckpoint
from layerwise.callbacks.backup_and_restore import BackupAndRestore
