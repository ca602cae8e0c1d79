// The float64 reference of scale_rows: a row times its scale.
#pragma once

#include <Eigen/Dense>

namespace scale_rows::reference {

Eigen::VectorXd scale_row(const Eigen::VectorXd& x, double scale);

}  // namespace scale_rows::reference
