"""qa/answer"""
