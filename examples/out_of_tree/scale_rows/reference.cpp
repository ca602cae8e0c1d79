#include "reference.hpp"

namespace scale_rows::reference {

Eigen::VectorXd scale_row(const Eigen::VectorXd& x, double scale) {
  return x * scale;
}

}  // namespace scale_rows::reference
