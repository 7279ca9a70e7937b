"""Department consultations (征求意见): requests, answers and their deadlines."""
