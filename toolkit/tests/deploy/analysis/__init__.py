"""Tests of deploy/analysis and its four commands."""
