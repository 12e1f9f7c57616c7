"""Sources of information (report, article, informant) with their 4x4 evaluation."""
