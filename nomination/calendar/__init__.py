"""The working-day calendar: official, provisional and confirmed years, and the periods on them."""
