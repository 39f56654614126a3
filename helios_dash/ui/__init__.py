"""Pure builders of Dash components shared by the pages."""
