"""qa/store"""
