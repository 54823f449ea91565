pytest_plugins = ["tests.lab_fixtures", "tests.fault_matrix_plugin"]
