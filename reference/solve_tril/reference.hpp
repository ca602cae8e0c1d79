// Float64 reference of solve_tril: for one chunk's strictly lower triangular A,
//   X = (I + A)^{-1}
// (unit lower triangular), and the magnitude its rounding errors are relative to: a forward
// substitution computing X in floating point errs by at most c n u |X| |I + A| |X|
// (Higham, Accuracy and Stability of Numerical Algorithms, 8.2), so M = |X| |I + A| |X|.
#pragma once

#include <Eigen/Dense>

namespace dc::reference::delta {

struct UnitLowerInverse {
  Eigen::MatrixXd X;          // [rows, rows]
  Eigen::MatrixXd magnitude;  // [rows, rows]
};

UnitLowerInverse solve_tril(const Eigen::MatrixXd& A);

}  // namespace dc::reference::delta
