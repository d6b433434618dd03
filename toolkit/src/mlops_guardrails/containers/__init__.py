"""Stand-ins for what runs inside SageMaker's containers, each run as a script under the container's Python
(the batch transform job, the XGBoost container's serving path) and the one model loader they share. They
import nothing of the package: only the standard library, the container's libraries and each other."""
