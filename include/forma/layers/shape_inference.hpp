#pragma once
// Shape inference over a layer list: a left fold (Boost.Hana) that feeds each
// layer the previous output shape. Once a shape is invalid (a failed check
// already reported), the rest of the chain is invalid without further checks.
#include <boost/hana/append.hpp>
#include <boost/hana/at.hpp>
#include <boost/hana/back.hpp>
#include <boost/hana/fold_left.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>
#include <cstddef>
#include <utility>

#include "forma/core/shape.hpp"

namespace forma {

namespace detail {

template <class T>
struct infer_next_shape {
  template <class Shapes, class L>
  constexpr auto operator()(Shapes shapes, L) const {
    namespace hana = boost::hana;
    using S = typename decltype(+hana::back(shapes))::type;
    using Lay = typename L::type;
    if constexpr (is_invalid_shape<S>)
      return hana::append(shapes, hana::type_c<invalid_shape>);
    else
      return hana::append(shapes, hana::type_c<typename Lay::template bind<S, T>::output_shape>);
  }
};

}  // namespace detail

// shape<0> is In; shape<K> is the output of the K-th layer (1-based).
template <class T, class In, class... Ls>
struct layer_chain {
  using shapes = decltype(boost::hana::fold_left(boost::hana::tuple_t<Ls...>, boost::hana::tuple_t<In>,
                                                 detail::infer_next_shape<T>{}));
  template <std::size_t K>
  using shape = typename decltype(+boost::hana::at_c<K>(std::declval<shapes>()))::type;
  using output_shape = shape<sizeof...(Ls)>;
  static constexpr bool valid = !is_invalid_shape<output_shape>;
};

}  // namespace forma
